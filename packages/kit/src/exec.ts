import type { ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { UserError } from './errors.ts';
import { InterruptedError, interrupted, killGroup, spawnChild } from './lifecycle.ts';

/** An external command as data, so it can be shown, logged and tested as an exact array. */
export interface Command {
  command: string;
  args: string[];
  cwd?: string;
  /**
   * Added to the current environment, which a child gets without `INPUT_*` and our secrets (`childEnv`); a variable
   * named here is passed even if it is one of those.
   */
  env?: Record<string, string>;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, ms. */
  durationMs: number;
  /** Bytes dropped from the front of each stream that wrote more than `maxOutputBytes`; absent when none were. */
  truncated?: { stdout?: number; stderr?: number };
}

export interface ExecOptions {
  /** Bytes written to the child's stdin. */
  input?: string | Buffer;
  /** Give the child /dev/null as stdin (not an empty pipe: a module that polls stdin sees the difference). */
  nullStdin?: boolean;
  /** Called with each chunk of stderr as it arrives (for passing compiler diagnostics through). */
  onStderr?: (chunk: string) => void;
  /** Kill the command (SIGKILL to its process group) after this many ms and throw `TimeoutError`. */
  timeoutMs?: number;
  /** Keep only the last this many bytes of stdout and of stderr; default `DEFAULT_MAX_OUTPUT_BYTES` (1 MiB). */
  maxOutputBytes?: number;
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

/** What `exec.run` keeps of each of a child's streams by default: the last 1 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1 << 20;

/**
 * The last `max` bytes of a stream, however much is written: what is older is dropped and counted, so a child that
 * writes without pause costs `max` bytes of memory, not all it wrote.
 */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes dropped from the front so far. */
  dropped = 0;

  constructor(readonly max: number) {}

  push(b: Buffer): void {
    if (b.length >= this.max) {
      this.dropped += this.size + b.length - this.max;
      // A copy, so the kept tail does not hold the whole chunk it came from.
      this.chunks = [Buffer.from(b.subarray(b.length - this.max))];
      this.size = this.max;
      return;
    }
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.max) {
      const first = this.chunks[0];
      const excess = this.size - this.max;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = Buffer.from(first.subarray(excess));
        this.size -= excess;
        this.dropped += excess;
      }
    }
  }

  /**
   * The kept text. When bytes were dropped, it starts at the first whole line (so line readers such as cargo's JSON
   * message parser never see half a line) after one line saying how much of `stream` was written and how much kept.
   */
  text(stream: string): string {
    let buf = Buffer.concat(this.chunks);
    if (!this.dropped) return buf.toString();
    const nl = buf.indexOf(10);
    if (nl >= 0 && nl < buf.length - 1) buf = buf.subarray(nl + 1);
    const written = this.dropped + this.size;
    return `[wasm-build: ${stream} truncated: ${written} bytes written, only the last ${buf.length} kept]\n${buf.toString()}`;
  }
}

/**
 * Runs a command without a shell and without echoing it, never throwing on a non-zero exit (the idiom of
 * docker/actions-toolkit's `Exec.getExecOutput` with `ignoreReturnCode`). Built on `child_process.spawn` (through
 * `spawnChild`) rather than `@actions/exec` because a smoke test must be able to kill a hung child, which
 * `@actions/exec` cannot. The one place commands are run, so tests can replace `exec.run`.
 * The child gets this process's environment without `INPUT_*` and our secrets (`childEnv`), then `cmd.env`; it leads
 * its own process group, so a timeout or a signal stops its children too. Of stdout and stderr only the last
 * `maxOutputBytes` each are kept (default 1 MiB), with a first line saying how much was dropped, and
 * `truncated` set.
 *
 * @throws UserError when the executable is not found, naming it and how to get it.
 * @throws TimeoutError when `timeoutMs` passes first: the child's process group is killed with SIGKILL and the call
 *   returns at once, without waiting for grandchildren that still hold its output pipes.
 * @throws InterruptedError when a signal stops the process (`handleInterrupts`) before or while the command runs.
 */
function runCommand(cmd: Command, options: ExecOptions = {}): Promise<ExecResult> {
  const started = performance.now();
  const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawnChild(cmd, [options.nullStdin ? 'ignore' : 'pipe', 'pipe', 'pipe']);
    } catch (e) {
      reject(e);
      return;
    }
    const out = new OutputTail(max);
    const err = new OutputTail(max);
    let timedOut = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          killGroup(child, 'SIGKILL');
          // A grandchild (a container behind `unshare`/`sudo`) may hold the pipes open past the kill: stop reading
          // them and return now, so the caller's cleanup (crun delete --force) runs at the timeout, not after.
          child.stdout!.destroy();
          child.stderr!.destroy();
          reject(new TimeoutError(cmd, options.timeoutMs!, { stdout: out.text('stdout'), stderr: err.text('stderr') }));
        }, options.timeoutMs)
      : undefined;
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    // A chunk may end inside a multi-byte UTF-8 character: the decoder holds its first bytes for the next chunk.
    const stderrText = new StringDecoder('utf8');
    child.stderr!.on('data', (b: Buffer) => {
      err.push(b);
      options.onStderr?.(stderrText.write(b));
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
      // Killed by our own interrupt handling: its exit status says nothing about the command.
      const stoppedBy = interrupted();
      if (stoppedBy) {
        reject(new InterruptedError(stoppedBy));
        return;
      }
      const truncated =
        out.dropped || err.dropped
          ? { ...(out.dropped ? { stdout: out.dropped } : {}), ...(err.dropped ? { stderr: err.dropped } : {}) }
          : undefined;
      resolve({
        exitCode: code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1),
        stdout: out.text('stdout'),
        stderr: err.text('stderr'),
        durationMs: performance.now() - started,
        ...(truncated ? { truncated } : {}),
      });
    });
  });
}

/** A command that ran longer than its timeout. */
export class TimeoutError extends UserError {
  /** What the command had written by then (the kept tails, as in `ExecResult`). */
  readonly stdout: string;
  readonly stderr: string;

  constructor(
    readonly cmd: Command,
    readonly timeoutMs: number,
    output: { stdout?: string; stderr?: string } = {},
  ) {
    super(`Timed out after ${timeoutMs} ms: ${formatCommand(cmd)}`, { fix: 'Raise the timeout or find why it hangs' });
    this.stdout = output.stdout ?? '';
    this.stderr = output.stderr ?? '';
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
