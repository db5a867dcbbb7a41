import * as core from '@actions/core';

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
  /** Runs `fn` inside a named log group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

const where = (at?: AnnotationAt) =>
  at?.file ? `${at.file}${at.startLine ? `:${at.startLine}${at.startColumn ? `:${at.startColumn}` : ''}` : ''}: ` : '';

/** Plain lines on stderr; `debug` only when `verbose`. */
export function terminalLog(options: { verbose?: boolean; stream?: NodeJS.WritableStream } = {}): Log {
  const stream = options.stream ?? process.stderr;
  const write = (line: string) => stream.write(`${line}\n`);
  return {
    info: write,
    warn: (m, at) => write(`warning: ${where(at)}${m}`),
    error: (m, at) => write(`error: ${where(at)}${m}`),
    debug: (m) => {
      if (options.verbose) write(`debug: ${m}`);
    },
    // Stages already print a line as they start; a terminal needs no group header.
    group: (_name, fn) => fn(),
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
