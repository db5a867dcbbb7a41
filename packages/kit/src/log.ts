import * as core from '@actions/core';
import { createColors } from 'picocolors';
import { glyphs, type TerminalStyle, terminalStyle, withoutAnsi } from './terminal.ts';

/**
 * Where stages report progress. Two implementations: `terminalLog` (plain lines on stderr, for the CLI) and
 * `actionsLog` (`@actions/core`: log groups, annotations). Stages take a `Log` and never print directly.
 */
/** Where an annotation points: a file (relative to the repository root) and a 1-based line and column. */
export interface AnnotationAt {
  file?: string;
  startLine?: number;
  startColumn?: number;
  title?: string;
}

export interface Log {
  info(message: string): void;
  /** Under Actions, a warning annotation (at `at` when given). */
  warn(message: string, at?: AnnotationAt): void;
  /** An error the run will fail on; under Actions, an error annotation (at `at` when given). */
  error(message: string, at?: AnnotationAt): void;
  /** Shown only with --verbose / RUNNER_DEBUG; prefix with `Module.function:`. */
  debug(message: string): void;
  /** Runs `fn` inside a named log group (in a terminal: with a progress line, see `terminalLog`). */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Starts a progress line for a long step (`… cargo build (12 s)`) and returns what stops it; absent where the
   * log has none (Actions shows groups instead). Call it through `withProgress`.
   */
  progress?(label: string): () => void;
}

/** Runs `fn` with `log`'s progress line for `label` (when the log has one), stopped however `fn` ends. */
export async function withProgress<T>(log: Log, label: string, fn: () => Promise<T>): Promise<T> {
  const stop = log.progress?.(label);
  try {
    return await fn();
  } finally {
    stop?.();
  }
}

const where = (at?: AnnotationAt) =>
  at?.file ? `${at.file}${at.startLine ? `:${at.startLine}${at.startColumn ? `:${at.startColumn}` : ''}` : ''}: ` : '';

/** A terminal log: a `Log`, and the one line a failed run ends with. */
export interface TerminalLog extends Log {
  /**
   * Prints the run's error once, as the last line: `wasm-build: MESSAGE`. The failing stage's own error line
   * (`STAGE: MESSAGE`, held back by `error` until the next line) is then shortened to `✗ STAGE failed`, so the
   * message appears once on the terminal.
   */
  fatal(message: string): void;
}

/** Options of `terminalLog`; each has a default read from the stream and the environment. */
export interface TerminalLogOptions {
  verbose?: boolean;
  /** Where lines go; default stderr (stdout is the CLI's result: tables, or JSON). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Colour, glyphs and width; default `terminalStyle(stream)` (NO_COLOR, FORCE_COLOR, TERM, locale). */
  style?: Partial<TerminalStyle>;
  /** Progress interval, ms: default 5000 on a terminal (the line is redrawn in place), 30000 elsewhere (a line). */
  progressMs?: number;
  /** The program name on the final error line; default `wasm-build`. */
  program?: string;
  /**
   * Running as a step of GitHub Actions (default `GITHUB_ACTIONS=true`, e.g. `run: npx wasm-build`): groups are
   * `::group::` / `::endgroup::` lines, which the runner folds, instead of progress lines.
   */
  actions?: boolean;
}

/** Leading glyphs the stages write (stages.ts), mapped to the style's. */
const LEADING = /^(▶|✔|✓|✗|⚠) /;

/**
 * Lines on stderr for a terminal or a CI log; `debug` only when `verbose`. Status glyphs (`▶ ✓ ✗ ⚠`) become ASCII
 * (`> + x !`) where the stream cannot show them, and are coloured only where colour is allowed (`terminalStyle`);
 * without colour, ANSI sequences in passed-through lines (cargo's) are removed. An `error` line is held until the
 * next line (or `fatal`, or exit), so that `fatal` can print the run's error once.
 * `group` shows a progress line while it runs: on a terminal, `… NAME (12 s)` redrawn in place every 5 s after the
 * first 5 s and cleared when the group ends; elsewhere a line every 30 s; under GitHub Actions a `::group::` instead.
 * Its timer is unref'd and always cleared, so it never keeps the process alive.
 */
export function terminalLog(options: TerminalLogOptions = {}): TerminalLog {
  const stream = options.stream ?? process.stderr;
  const style: TerminalStyle = { ...terminalStyle(stream), ...options.style };
  const c = createColors(style.color);
  const g = glyphs(style.unicode);
  // Redrawn in place only where the cursor can be moved back: a terminal, not TERM=dumb.
  const live = style.tty && process.env.TERM !== 'dumb';
  const interval = options.progressMs ?? (style.tty ? 5000 : 30_000);
  const program = options.program ?? 'wasm-build';
  const actions = options.actions ?? process.env.GITHUB_ACTIONS === 'true';
  let groupDepth = 0;

  // The progress line on screen (live mode), and the steps in progress, innermost last.
  let status = '';
  const steps: { label: string; started: number }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let held: { text: string; message: string } | undefined;
  let exitHook = false;

  const raw = (s: string) => stream.write(s);
  const clearStatus = () => {
    if (status) raw('\r\x1b[2K');
  };
  const drawStatus = () => {
    if (status) raw(status);
  };
  const emit = (line: string) => {
    clearStatus();
    raw(`${style.color ? line : withoutAnsi(line)}\n`);
    drawStatus();
  };
  const flushHeld = () => {
    if (!held) return;
    const h = held;
    held = undefined;
    emit(h.text);
  };
  const write = (line: string) => {
    flushHeld();
    emit(line);
  };
  const onExit = () => flushHeld();

  const glyph = (line: string) =>
    line.replace(LEADING, (_, m: string) => {
      if (m === '▶') return `${c.cyan(g.start)} `;
      if (m === '✔' || m === '✓') return `${c.green(g.ok)} `;
      if (m === '✗') return `${c.red(g.fail)} `;
      return `${c.yellow(g.warn)} `;
    });

  const tick = () => {
    const top = steps[steps.length - 1];
    if (!top) return;
    const secs = Math.round((performance.now() - top.started) / 1000);
    const text = `${c.dim(g.progress)} ${top.label} (${secs} s)`;
    if (live) {
      clearStatus();
      // One screen line, or `\r` would not return to its start.
      const max = style.columns - 1;
      status = withoutAnsi(text).length > max ? withoutAnsi(text).slice(0, max) : text;
      drawStatus();
    } else write(text);
  };
  const progress = (label: string) => {
    const step = { label, started: performance.now() };
    steps.push(step);
    if (!timer) {
      timer = setInterval(tick, interval);
      timer.unref();
    }
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      steps.splice(steps.indexOf(step), 1);
      if (steps.length) return;
      clearInterval(timer);
      timer = undefined;
      clearStatus();
      status = '';
    };
  };

  return {
    info: (m) => write(glyph(m)),
    warn: (m, at) => write(`${c.yellow('warning:')} ${where(at)}${m}`),
    error: (m, at) => {
      flushHeld();
      // rustc's rendered diagnostics already start with `error[E0308]:` and name their location.
      const text = /^error(\[\w+\])?:/.test(m)
        ? m.replace(/^error(\[\w+\])?:/, (s) => c.red(c.bold(s)))
        : `${c.red('error:')} ${where(at)}${m}`;
      if (!exitHook) process.once('exit', onExit);
      exitHook = true;
      held = { text, message: m };
    },
    debug: (m) => {
      if (options.verbose) write(`${c.dim('debug:')} ${m}`);
    },
    group: async (name, fn) => {
      // The runner folds one level of groups: an inner group's lines stay in the outer one.
      const marks = actions && groupDepth++ === 0;
      if (marks) write(`::group::${name}`);
      const stop = actions ? () => {} : progress(name);
      try {
        return await fn();
      } finally {
        stop();
        if (actions) groupDepth--;
        if (marks) write('::endgroup::');
      }
    },
    progress: actions ? () => () => {} : progress,
    fatal: (message) => {
      const h = held;
      held = undefined;
      if (h && h.message !== message) {
        const stage = h.message.endsWith(`: ${message}`) ? h.message.slice(0, -message.length - 2) : undefined;
        if (stage !== undefined && !stage.includes(' ')) emit(`${c.red(g.fail)} ${stage} failed`);
        else emit(h.text);
      }
      emit(`${c.red(c.bold(`${program}:`))} ${message}`);
    },
  };
}

/** `@actions/core`: `core.group`, `core.warning`/`core.error` annotations, `core.debug`. */
export function actionsLog(): Log {
  return {
    info: (m) => core.info(m),
    warn: (m, at) => core.warning(m, at ?? {}),
    error: (m, at) => core.error(m, at ?? {}),
    debug: (m) => core.debug(m),
    group: (name, fn) => core.group(name, fn),
  };
}

/** A log that keeps lines in memory, for tests that assert what a stage reported. */
export function memoryLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warn: (m, at) => lines.push(`warning: ${where(at)}${m}`),
    error: (m, at) => lines.push(`error: ${where(at)}${m}`),
    debug: (m) => lines.push(`debug: ${m}`),
    group: async (name, fn) => {
      lines.push(`group: ${name}`);
      return fn();
    },
  };
}
