// Starts an action's dist/index.cjs as the runner does (see run-action.ts) and hands back the process, so a test can
// signal it mid-run (the runner cancels a step with SIGINT, then SIGTERM), and the files the action writes to.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type ActionRun, GITHUB_TOKEN_STAND_IN, parseOutputFile, ROOT } from './run-action.ts';

export interface StartedAction {
  child: ChildProcess;
  /** The environment it runs with: INPUT_*, RUNNER_TEMP, the GITHUB_* files. */
  env: Record<string, string>;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when it exits, with what it wrote; `code` is null when a signal killed it. */
  done: Promise<ActionRun & { signal: NodeJS.Signals | null }>;
}

/** Starts `action` (a directory under actions/) with `inputs` (defaults from its action.yml) and `o.env` on top. */
export function startAction(
  action: string,
  inputs: Record<string, string>,
  o: { cwd?: string; env?: Record<string, string> } = {},
): StartedAction {
  const dir = join(ROOT, 'actions', action);
  const yml = parse(readFileSync(join(dir, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
    runs: { main: string };
  };
  const unknown = Object.keys(inputs).filter((n) => !(n in yml.inputs));
  if (unknown.length) throw new Error(`${action} declares no input ${unknown.join(', ')}`);
  const tmp = mkdtempSync(join(tmpdir(), 'action-'));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('INPUT_')) env[k] = v;
  for (const [name, f] of Object.entries({
    GITHUB_OUTPUT: 'output',
    GITHUB_STEP_SUMMARY: 'summary',
    GITHUB_PATH: 'path',
    GITHUB_ENV: 'env',
  })) {
    env[name] = join(tmp, f);
    writeFileSync(env[name], '');
  }
  for (const [name, spec] of Object.entries(yml.inputs))
    env[`INPUT_${name.toUpperCase()}`] =
      inputs[name] ?? (spec.default === '${{ github.token }}' ? GITHUB_TOKEN_STAND_IN : spec.default) ?? '';
  Object.assign(env, {
    GITHUB_ACTIONS: 'true',
    RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'runner-temp-')),
    RUNNER_TOOL_CACHE: mkdtempSync(join(tmpdir(), 'tool-cache-')),
    ...o.env,
  });
  const child = spawn(process.execPath, [join(dir, yml.runs.main)], { cwd: o.cwd ?? ROOT, env, timeout: 170_000 });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => {
    stdout += c;
  });
  child.stderr!.on('data', (c) => {
    stderr += c;
  });
  const done = new Promise<ActionRun & { signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout,
        stderr,
        outputs: parseOutputFile(readFileSync(env.GITHUB_OUTPUT, 'utf8')),
        summary: readFileSync(env.GITHUB_STEP_SUMMARY, 'utf8'),
        path: readFileSync(env.GITHUB_PATH, 'utf8').split('\n').filter(Boolean),
      }),
    ),
  );
  return { child, env, output: () => stdout + stderr, done };
}
