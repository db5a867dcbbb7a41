import * as core from '@actions/core';

/**
 * Where stages report progress. Two implementations: `terminalLog` (plain lines on stderr, for the CLI) and
 * `actionsLog` (`@actions/core`: log groups, annotations). Stages take a `Log` and never print directly.
 */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  /** An error the run will fail on; under Actions, an error annotation. */
  error(message: string): void;
  /** Shown only with --verbose / RUNNER_DEBUG; prefix with `Module.function:`. */
  debug(message: string): void;
  /** Runs `fn` inside a named log group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/** Plain lines on stderr; `debug` only when `verbose`. */
export function terminalLog(options: { verbose?: boolean; stream?: NodeJS.WritableStream } = {}): Log {
  const stream = options.stream ?? process.stderr;
  const write = (line: string) => stream.write(`${line}\n`);
  return {
    info: write,
    warn: (m) => write(`warning: ${m}`),
    error: (m) => write(`error: ${m}`),
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
    warn: (m) => core.warning(m),
    error: (m) => core.error(m),
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
    warn: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
    debug: (m) => lines.push(`debug: ${m}`),
    group: async (name, fn) => {
      lines.push(`group: ${name}`);
      return fn();
    },
  };
}
