import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '@wasm-build/kit';
import type { VerifyReport } from '@wasm-build/wasm';
import { judge } from './judge.ts';
import { NODE_RUNNER_SOURCE } from './node-runner-source.ts';
import { classifyNode } from './outcome.ts';
import type { SmokeExpectations, SmokeResult } from './types.ts';

/**
 * The child `node` command for a module: `--no-liftoff` when it has shared memory, because Node 20's baseline
 * compiler mis-handles a local across memory.atomic.wait32 (seen on Node 20.20).
 */
export function nodeRunnerCommand(report: VerifyReport, config: string): Command {
  const flags = ['--no-warnings'];
  if (report.features['shared-memory'].used) flags.push('--no-liftoff');
  return {
    command: process.execPath,
    args: [...flags, '--input-type=module', '-e', NODE_RUNNER_SOURCE],
    env: { WASM_BUILD_SMOKE: config },
  };
}

/**
 * Runs a module under Node's WASI (preview1) in a child process and checks exit code and stdout; `preopen` maps a
 * host directory into the guest. Every imported memory is given one of its declared limits (as RUNTIME-OUTCOMES.tsv's
 * node_wasi column was run); a compile, link, entry or start failure is its outcome class (`classifyNode`).
 * Never throws for the module's behaviour: a crash, a trap or a timeout is a `fail` result with the reason.
 * Source: Node.js docs, "WASI" (node:wasi, `version: 'preview1'`, `returnOnExit`).
 */
export async function runUnderNode(
  wasm: Uint8Array,
  argv0: string,
  report: VerifyReport,
  e: SmokeExpectations,
  preopen?: { host: string; guest: string },
): Promise<SmokeResult> {
  const runtime = `node ${process.version}`;
  const dir = mkdtempSync(join(process.env.RUNNER_TEMP ?? tmpdir(), 'wasm-build-smoke-'));
  try {
    const module = join(dir, 'module.wasm');
    writeFileSync(module, wasm);
    const memories = report.memories
      .filter((m) => m.import)
      .map((m) => ({
        module: m.import!.module,
        name: m.import!.name,
        initial: m.limits.min,
        maximum: m.limits.max,
        shared: m.limits.shared,
      }));
    const preopens = preopen ? { [preopen.guest]: preopen.host } : {};
    const config = JSON.stringify({ module, args: [argv0, ...(e.args ?? [])], env: e.env ?? {}, memories, preopens });
    return await judge(runtime, nodeRunnerCommand(report, config), e, { classify: classifyNode });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
