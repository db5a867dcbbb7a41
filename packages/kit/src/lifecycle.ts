import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv } from './env.ts';
import { UserError } from './errors.ts';

// What a SIGINT/SIGTERM must undo: the children we started (each the leader of its own process group) and the
// files we must not leave behind (auth files, temp dirs). Module state, because a signal is process-wide.
const live = new Set<ChildProcess>();
const cleanups = new Set<() => void>();
let stopping: NodeJS.Signals | undefined;
let installed = false;

/** The signals that stop a run: the runner's cancel (SIGINT, then SIGTERM), Ctrl-C, `kill`, a closed terminal. */
export const INTERRUPT_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The run was interrupted by a signal: no work is started or finished after it, and no tag is written. */
export class InterruptedError extends UserError {
  constructor(readonly signal: NodeJS.Signals) {
    super(`Interrupted by ${signal}`);
  }
}

/** The signal that is stopping this process, or undefined while it runs normally. */
export function interrupted(): NodeJS.Signals | undefined {
  return stopping;
}

/**
 * Throws `InterruptedError` once a signal is stopping the process: call it before a step that must not happen after
 * an interrupt (writing a tag).
 */
export function checkInterrupted(): void {
  if (stopping) throw new InterruptedError(stopping);
}

/**
 * Registers `fn` (synchronous: it runs just before the process exits) to run when a signal stops the process;
 * returns the function that unregisters it. Cleanups run in reverse order of registration, and one that throws does
 * not stop the others.
 */
export function onInterrupt(fn: () => void): () => void {
  cleanups.add(fn);
  return () => {
    cleanups.delete(fn);
  };
}

/** A directory of ours under RUNNER_TEMP (else the OS temp dir), removed on `remove()` or when a signal stops us. */
export interface TempDir {
  path: string;
  /** Deletes the directory and everything in it; safe to call twice. */
  remove(): void;
}

/**
 * Creates a fresh directory `<parent>/<prefix>XXXXXX` (mode 0700, as `mkdtemp` makes it), registered for removal
 * if a signal stops the process before `remove()` is called. `parent` defaults to `RUNNER_TEMP`, else `os.tmpdir()`.
 */
export function tempDir(prefix: string, parent: string = process.env.RUNNER_TEMP || tmpdir()): TempDir {
  const path = mkdtempSync(join(parent, prefix));
  const rm = () => rmSync(path, { recursive: true, force: true });
  const unregister = onInterrupt(rm);
  return {
    path,
    remove: () => {
      unregister();
      rm();
    },
  };
}

/**
 * Spawns `cmd` without a shell as the leader of a new process group (POSIX; `detached`), with `childEnv(cmd.env)`
 * (no `INPUT_*`, no secrets), and tracks it until it exits, so that `killGroup` reaches its own children too
 * (cargo's build scripts, a container behind `sudo`) and a signal stops every one. The one place a child is spawned:
 * `exec.run` and long-lived servers (the local registry) both come here.
 *
 * @throws InterruptedError when a signal is already stopping the process.
 * Source: Node.js docs, child_process `options.detached` (setsid on POSIX) and `process.kill(-pid)` for a group.
 */
export function spawnChild(
  cmd: { command: string; args: string[]; cwd?: string; env?: Record<string, string> },
  stdio: StdioOptions,
): ChildProcess {
  checkInterrupted();
  const child = spawn(cmd.command, cmd.args, {
    cwd: cmd.cwd,
    env: childEnv(cmd.env),
    stdio,
    // On Windows `detached` opens a new console instead; there a group cannot be killed anyway.
    detached: process.platform !== 'win32',
  });
  if (child.pid !== undefined) {
    live.add(child);
    child.once('exit', () => live.delete(child));
  }
  return child;
}

/** Children spawned by `spawnChild` that have not exited yet. */
export function liveChildren(): readonly ChildProcess[] {
  return [...live];
}

/**
 * Sends `signal` to `child`'s whole process group (what `spawnChild` made it lead), falling back to the child alone
 * when there is no group to signal. Never throws: a group already gone is what we wanted.
 */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform === 'win32') throw new Error('no process groups');
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Options of `handleInterrupts`. */
export interface InterruptOptions {
  /** Wait this long for children to exit after SIGTERM before SIGKILL, ms; default 3000. */
  graceMs?: number;
  /** Where the one line saying what is being stopped goes; default stderr. */
  write?: (line: string) => void;
}

/**
 * Installs, once per process, handlers for SIGINT, SIGTERM and SIGHUP that: stop starting work (`spawnChild` and
 * `checkInterrupted` throw `InterruptedError`, and a running `exec.run` rejects with it instead of returning), send
 * SIGTERM to the process group of every live child, wait up to `graceMs` for them, SIGKILL what is left of those
 * groups, run every `onInterrupt` cleanup (auth files, temp dirs), and exit with 128 + the signal's number (130 for
 * SIGINT, 143 for SIGTERM). A second signal skips the wait. Front doors call it (`runAction`, the CLI); libraries
 * only register cleanups, so a program embedding them keeps its own signal handling.
 * The runner cancels a step with SIGINT, then SIGTERM 7.5 s later, then kills it: the default grace fits inside.
 * Source: actions/runner docs, "Cancelling a workflow"; POSIX shells' 128+n exit status convention.
 */
export function handleInterrupts(o: InterruptOptions = {}): void {
  if (installed) return;
  installed = true;
  const graceMs = o.graceMs ?? 3000;
  const write = o.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  for (const signal of INTERRUPT_SIGNALS) process.on(signal, () => void stop(signal, graceMs, write));
}

// The children live when the first signal came: the second one kills what is left of their groups.
let victims: ChildProcess[] = [];

/** What a signal does once `handleInterrupts` is installed (see there). */
async function stop(signal: NodeJS.Signals, graceMs: number, write: (line: string) => void): Promise<void> {
  if (stopping) {
    // A second signal (the runner follows SIGINT with SIGTERM): no more waiting; the exit status names the first.
    for (const c of victims) killGroup(c, 'SIGKILL');
    finish(stopping);
    return;
  }
  stopping = signal;
  victims = [...live];
  const names = victims.map((c) => c.spawnfile).join(', ');
  write(
    `wasm-build: ${signal} received: ${victims.length ? `stopping ${names}, ` : ''}removing temporary files and exiting`,
  );
  if (victims.length) {
    for (const c of victims) killGroup(c, 'SIGTERM');
    const exited = victims.map(
      (c) =>
        new Promise<void>((resolve) =>
          c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve()),
        ),
    );
    await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, graceMs))]);
    // The leaders may be gone while their children (a build script, a container) still run.
    for (const c of victims) killGroup(c, 'SIGKILL');
  }
  finish(signal);
}

/** Runs the cleanups, newest first, and exits with 128 + the signal's number. */
function finish(signal: NodeJS.Signals): never {
  for (const fn of [...cleanups].reverse()) {
    try {
      fn();
    } catch {
      // one failed cleanup must not keep the others from running
    }
  }
  cleanups.clear();
  process.exit(128 + (osConstants.signals[signal] ?? 0));
}
