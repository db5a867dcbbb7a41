// Runs an action's dist/index.cjs exactly as the runner does: every input as INPUT_<NAME> (defaults from its
// action.yml), and the files behind GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_PATH, GITHUB_ENV in a temp dir.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '..', '..');
/** What `${{ github.token }}` input defaults become under runAction (the runner gives the job's token). */
export const GITHUB_TOKEN_STAND_IN = 'ghs_runActionStandInToken0123456789';

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  path: string[];
}

/** Parses `$GITHUB_OUTPUT`: `name=value` lines and `name<<DELIM … DELIM` blocks (@actions/core's file commands). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2], i + 1);
      out[heredoc[1]] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (lines[i].includes('='))
      out[lines[i].slice(0, lines[i].indexOf('='))] = lines[i].slice(lines[i].indexOf('=') + 1);
  }
  return out;
}

export interface StartedAction {
  child: ChildProcess;
  /** The environment it runs with: INPUT_*, RUNNER_TEMP, the GITHUB_* files. */
  env: Record<string, string>;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when it exits, with what it wrote; `code` is null when a signal killed it. */
  done: Promise<ActionRun & { signal: NodeJS.Signals | null }>;
}

/**
 * Starts `action` (a directory under actions/, or '.' for the root action) as the runner does, in `cwd` (default the
 * repo root), and hands back the process, so a test can signal it mid-run (the runner cancels a step with SIGINT,
 * then SIGTERM). Inputs not given get their action.yml default; `${{ github.token }}` becomes a stand-in token.
 */
export function startAction(
  action: string,
  inputs: Record<string, string>,
  o: { toolCache?: string; cwd?: string; env?: Record<string, string> } = {},
): StartedAction {
  const dir = join(ROOT, action === '.' ? '' : `actions/${action}`);
  const yml = parse(readFileSync(join(dir, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
    runs: { main?: string };
  };
  const main = yml.runs.main ? join(dir, yml.runs.main) : join(ROOT, 'actions/wasm-build/dist/index.cjs');
  const unknown = Object.keys(inputs).filter((n) => !(n in yml.inputs));
  if (unknown.length) throw new Error(`${action} declares no input ${unknown.join(', ')}`);
  const tmp = mkdtempSync(join(tmpdir(), 'action-'));
  const files = { GITHUB_OUTPUT: 'output', GITHUB_STEP_SUMMARY: 'summary', GITHUB_PATH: 'path', GITHUB_ENV: 'env' };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('INPUT_')) env[k] = v;
  for (const [name, f] of Object.entries(files)) {
    env[name] = join(tmp, f);
    writeFileSync(env[name], '');
  }
  // The runner evaluates `${{ github.token }}` defaults to the job's token: here a stand-in token.
  const evaluate = (d?: string) => (d === '${{ github.token }}' ? GITHUB_TOKEN_STAND_IN : d);
  for (const [name, spec] of Object.entries(yml.inputs))
    env[`INPUT_${name.toUpperCase()}`] = inputs[name] ?? evaluate(spec.default) ?? '';
  Object.assign(env, {
    GITHUB_ACTIONS: 'true',
    RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'runner-temp-')),
    RUNNER_TOOL_CACHE: o.toolCache ?? mkdtempSync(join(tmpdir(), 'tool-cache-')),
    ...o.env,
  });
  const child = spawn(process.execPath, [main], { cwd: o.cwd ?? ROOT, env, timeout: 170_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  child.stderr.on('data', (c) => {
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

/**
 * Runs `action` to its end (`startAction`) and returns what it wrote. Asynchronous, so that a loopback server in the
 * test's own process keeps answering while the action runs.
 */
export async function runAction(
  action: string,
  inputs: Record<string, string>,
  o: { toolCache?: string; cwd?: string; env?: Record<string, string> } = {},
): Promise<ActionRun> {
  const { signal: _signal, ...run } = await startAction(action, inputs, o).done;
  return run;
}

/**
 * Runs the CLI (bin/wasm-build.js) from the repo root to its end, with `env` on top of this process's. Synchronous:
 * use it only when no server in this process must answer the CLI meanwhile.
 */
export function runCli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/wasm-build.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 170_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, all: r.stdout + r.stderr };
}
