// Cargo's `compiler-message` JSON as annotations: one per diagnostic with a primary span, its rendered text, and a
// path GitHub can link. Source: The Cargo Book, "JSON messages" (compiler-message); rustc book, "JSON Output".
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

/** One rustc diagnostic from a `compiler-message`, with the location of its primary span. */
export interface CargoDiagnostic {
  level: 'error' | 'warning' | 'note' | 'help' | 'failure-note' | string;
  /** The short message, e.g. "mismatched types". */
  message: string;
  /** e.g. "E0308". */
  code?: string;
  /** The text rustc renders for a terminal (with ANSI colours when asked for), ending in a newline. */
  rendered: string;
  /** Where the primary span is: the file as an annotation wants it, 1-based line and column. */
  file?: string;
  line?: number;
  column?: number;
}

interface Span {
  file_name: string;
  line_start: number;
  column_start: number;
  is_primary: boolean;
}
interface CompilerMessage {
  reason: string;
  manifest_path?: string;
  message?: { message: string; code?: { code: string } | null; level: string; spans: Span[]; rendered?: string | null };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences are what is removed
const ANSI = /\u001b\[[0-9;]*m/g;

/** Text without ANSI colour codes. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/**
 * The file of a span as an annotation wants it: rustc names it relative to the cargo workspace root (or absolute);
 * it is made absolute (the workspace root is the nearest ancestor of the package's manifest where the file exists),
 * then relative to `root` (GITHUB_WORKSPACE) when inside it, else left relative to the workspace root.
 */
function annotationPath(fileName: string, manifestPath: string | undefined, root: string | undefined): string {
  let abs: string | undefined = isAbsolute(fileName) ? fileName : undefined;
  for (let dir = manifestPath ? dirname(manifestPath) : undefined; !abs && dir; ) {
    if (existsSync(join(dir, fileName))) abs = join(dir, fileName);
    const up = dirname(dir);
    dir = up === dir ? undefined : up;
  }
  if (!abs) return fileName;
  if (root) {
    const rel = relative(resolve(root), abs);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return rel;
  }
  return fileName;
}

/**
 * The diagnostics in cargo's JSON output (one message per line; other lines ignored), in order.
 * @param root the directory annotation paths are relative to (GITHUB_WORKSPACE), when set
 */
export function parseDiagnostics(stdout: string, root?: string): CargoDiagnostic[] {
  const out: CargoDiagnostic[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{"reason":"compiler-message"')) continue;
    let m: CompilerMessage;
    try {
      m = JSON.parse(line) as CompilerMessage;
    } catch {
      continue;
    }
    if (!m.message) continue;
    const primary = m.message.spans.find((s) => s.is_primary);
    out.push({
      level: m.message.level,
      message: m.message.message,
      ...(m.message.code?.code ? { code: m.message.code.code } : {}),
      rendered: m.message.rendered ?? `${m.message.level}: ${m.message.message}\n`,
      ...(primary
        ? {
            file: annotationPath(primary.file_name, m.manifest_path, root),
            line: primary.line_start,
            column: primary.column_start,
          }
        : {}),
    });
  }
  return out;
}

/** One line for an error message: "error[E0308]: mismatched types --> src/main.rs:3:18". */
export function diagnosticLine(d: CargoDiagnostic): string {
  const where = d.file ? ` --> ${d.file}:${d.line}:${d.column}` : '';
  return `${d.level}${d.code ? `[${d.code}]` : ''}: ${d.message}${where}`;
}

/**
 * Splits a stream of chunks into whole lines: `push` calls `emit` for every complete line, `flush` for what is left.
 * Cargo's stderr arrives in chunks that cut lines ("error", ":", "") when passed on as they come.
 */
export function lineSplitter(emit: (line: string) => void): { push(chunk: string): void; flush(): void } {
  let rest = '';
  return {
    push(chunk) {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) emit(p.replace(/\r$/, ''));
    },
    flush() {
      if (rest) emit(rest);
      rest = '';
    },
  };
}
