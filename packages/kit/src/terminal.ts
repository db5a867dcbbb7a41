// Outside GitHub Actions, `@actions/core` (used by our code and by @docker/actions-toolkit) still writes workflow
// commands (`::debug::…`, `::warning::…`) to stdout. In a terminal those lines are noise, and they break `--json`.

const COMMAND = /^::([a-z-]+)(?: [^:]*)?::(.*)$/s;

/** Workflow-command escapes undone (`%25`, `%0D`, `%0A`): actions/toolkit core/src/command.ts escapeData. */
function unescapeData(data: string): string {
  return data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

/**
 * Routes the workflow commands written to `process.stdout` onto `err` as plain lines: `debug` only when `verbose()`
 * is true (as `debug: MESSAGE`), `warning`/`error`/`notice` as `warning: …` etc.; group markers and other commands
 * are dropped. Everything else written to stdout passes through untouched, so stdout carries only our own output.
 * A no-op under GitHub Actions (`GITHUB_ACTIONS=true`), where the runner reads these commands. Returns a function
 * that puts `process.stdout.write` back.
 * Source: GitHub docs "Workflow commands for GitHub Actions" (`::name key=value::message`).
 */
export function routeWorkflowCommands(
  verbose: () => boolean,
  env: NodeJS.ProcessEnv = process.env,
  err: NodeJS.WritableStream = process.stderr,
): () => void {
  if (env.GITHUB_ACTIONS === 'true') return () => {};
  const out = process.stdout;
  const original = out.write;
  const write = out.write.bind(out) as (chunk: unknown, ...rest: unknown[]) => boolean;
  out.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : undefined;
    const m = text === undefined ? null : COMMAND.exec(text.replace(/\r?\n$/, ''));
    if (!m) return write(chunk, ...rest);
    const [, name, data] = m;
    if (name === 'debug') {
      if (verbose()) err.write(`debug: ${unescapeData(data)}\n`);
    } else if (name === 'warning' || name === 'error' || name === 'notice')
      err.write(`${name}: ${unescapeData(data)}\n`);
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof out.write;
  return () => {
    out.write = original;
  };
}

/** What a stream can show: colour, Unicode glyphs, its width (characters), and whether it is a terminal. */
export interface TerminalStyle {
  color: boolean;
  unicode: boolean;
  columns: number;
  tty: boolean;
}

/** The width `terminalStyle` assumes when a stream is not a terminal (a pipe, a file, a CI log), characters. */
export const DEFAULT_COLUMNS = 100;

/** The narrowest width tables and progress lines are laid out for, characters. */
export const MIN_COLUMNS = 40;

/**
 * Whether to colour what goes to `stream`: never with `NO_COLOR` set (non-empty); always with `FORCE_COLOR` set
 * (non-empty, other than `0` or `false`, which turn colour off); else only on a terminal whose TERM is not `dumb`.
 * Source: no-color.org; force-color.org; supports-color's FORCE_COLOR=0|false.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/**
 * Whether `stream` can show the glyphs ✓ ✗ ⚠ ▶ … and box-drawing table borders: only a terminal (a pipe or a file may
 * be read anywhere, so it gets ASCII), whose TERM is neither `dumb` nor `linux` (the kernel console's font lacks
 * them), with a UTF-8 locale (`LC_ALL`, else `LC_CTYPE`, else `LANG`; none set counts as UTF-8, as terminals are
 * today). `FORCE_COLOR` does not change it.
 */
export function unicodeEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (stream.isTTY !== true || env.TERM === 'dumb' || env.TERM === 'linux') return false;
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG;
  return !locale || /utf-?8/i.test(locale);
}

/**
 * The width to lay `stream` out for, characters: the terminal's own (`columns`), else `COLUMNS` from the environment
 * when it is a whole number, else `DEFAULT_COLUMNS` (100); never less than `MIN_COLUMNS` (40).
 */
export function columnsOf(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = /^\d+$/.test(env.COLUMNS ?? '') ? Number(env.COLUMNS) : undefined;
  const cols = (stream.isTTY && stream.columns) || fromEnv || DEFAULT_COLUMNS;
  return Math.max(MIN_COLUMNS, cols);
}

/** `colorEnabled`, `unicodeEnabled` and `columnsOf` of one stream (default stderr, where the log goes). */
export function terminalStyle(
  stream: { isTTY?: boolean; columns?: number } = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): TerminalStyle {
  return {
    color: colorEnabled(stream, env),
    unicode: unicodeEnabled(stream, env),
    columns: columnsOf(stream, env),
    tty: stream.isTTY === true,
  };
}

/** The status glyphs, and what replaces them where Unicode cannot be shown (`unicodeEnabled`). */
export const GLYPHS = {
  unicode: { ok: '✓', fail: '✗', warn: '⚠', start: '▶', skip: '-', progress: '…' },
  ascii: { ok: '+', fail: 'x', warn: '!', start: '>', skip: '-', progress: '...' },
} as const;

/** The glyph set for a stream that can (or cannot) show Unicode. */
export function glyphs(unicode: boolean): (typeof GLYPHS)['unicode'] | (typeof GLYPHS)['ascii'] {
  return unicode ? GLYPHS.unicode : GLYPHS.ascii;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences are what is matched
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** Text without ANSI escape sequences (colours, cursor moves). */
export function withoutAnsi(text: string): string {
  return text.replace(ANSI, '');
}
