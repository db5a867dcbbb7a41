import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { UserError } from './errors.ts';

/** An external command as data, so it can be shown, logged and tested as an exact array. */
export interface Command {
  command: string;
  args: string[];
  cwd?: string;
  /** Added to the current environment. */
  env?: Record<string, string>;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, ms. */
  durationMs: number;
}

export interface ExecOptions {
  /** Bytes written to the child's stdin. */
  input?: string | Buffer;
  /** Give the child /dev/null as stdin (not an empty pipe: a module that polls stdin sees the difference). */
  nullStdin?: boolean;
  /** Called with each chunk of stderr as it arrives (for passing compiler diagnostics through). */
  onStderr?: (chunk: string) => void;
  /** Kill the command (SIGKILL) after this many ms and throw `TimeoutError`. */
  timeoutMs?: number;
}

/** Renders a command for messages, quoting arguments that need it. */
export function formatCommand(cmd: Command): string {
  return [cmd.command, ...cmd.args]
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

/**
 * A command that exited non-zero: carries the command, exit code and the last stderr lines. Thrown by `runOk`.
 */
export class CommandError extends UserError {
  constructor(
    readonly cmd: Command,
    readonly result: ExecResult,
    what: string,
    fix?: string,
  ) {
    const tail = lastLines(result.stderr || result.stdout, 3);
    super(`${what} failed (exit code ${result.exitCode}): ${formatCommand(cmd)}${tail ? `: ${tail}` : ''}`, { fix });
  }
}

/** The last `n` non-empty lines of `text`, joined with " | ". */
export function lastLines(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join(' | ');
}

/**
 * Runs a command without a shell and without echoing it, never throwing on a non-zero exit (the idiom of
 * docker/actions-toolkit's `Exec.getExecOutput` with `ignoreReturnCode`). Built on `child_process.spawn` rather than
 * `@actions/exec` because a smoke test must be able to kill a hung child, which `@actions/exec` cannot.
 * The one place processes are spawned, so tests can replace `exec.run`.
 *
 * @throws UserError when the executable is not found, naming it and how to get it.
 * @throws TimeoutError when `timeoutMs` passes first: the child is killed with SIGKILL and the call returns at once,
 *   without waiting for grandchildren that still hold its output pipes.
 */
function runCommand(cmd: Command, options: ExecOptions = {}): Promise<ExecResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.command, cmd.args, {
      cwd: cmd.cwd,
      env: cmd.env ? { ...process.env, ...cmd.env } : process.env,
      stdio: [options.nullStdin ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
          // A grandchild (a container behind `unshare`/`sudo`) may hold the pipes open past the kill: stop reading
          // them and return now, so the caller's cleanup (crun delete --force) runs at the timeout, not after.
          child.stdout!.destroy();
          child.stderr!.destroy();
          reject(new TimeoutError(cmd, options.timeoutMs!));
        }, options.timeoutMs)
      : undefined;
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => {
      err.push(b);
      options.onStderr?.(b.toString());
    });
    if (child.stdin) {
      child.stdin.on('error', () => {}); // a child that exits without reading its stdin is not our error
      child.stdin.end(options.input ?? '');
    }
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') {
        reject(
          new UserError(`Command not found: "${cmd.command}"`, {
            fix: `Install it or put it on PATH (PATH=${process.env.PATH})`,
            cause: e,
          }),
        );
      } else reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return; // already rejected by the timer
      resolve({
        exitCode: code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        durationMs: performance.now() - started,
      });
    });
  });
}

/** A command that ran longer than its timeout. */
export class TimeoutError extends UserError {
  constructor(
    readonly cmd: Command,
    readonly timeoutMs: number,
  ) {
    super(`Timed out after ${timeoutMs} ms: ${formatCommand(cmd)}`, { fix: 'Raise the timeout or find why it hangs' });
  }
}

/** The process seam: replace `exec.run` in tests that must fake a command. */
export const exec = { run: runCommand };

/**
 * Runs a command and throws `CommandError` (command, exit code, last stderr lines, `fix`) unless it exits 0.
 * `what` names the step for the message, e.g. "cargo build".
 */
export async function runOk(
  cmd: Command,
  what: string,
  options: ExecOptions & { fix?: string } = {},
): Promise<ExecResult> {
  const result = await exec.run(cmd, options);
  if (result.exitCode !== 0) throw new CommandError(cmd, result, what, options.fix);
  return result;
}
