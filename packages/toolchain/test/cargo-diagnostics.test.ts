import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnosticLine, lineSplitter, parseDiagnostics, stripAnsi } from '../src/cargo-diagnostics.ts';

// A workspace with a member: rustc names spans relative to the workspace root (member/src/lib.rs).
const ws = mkdtempSync(join(tmpdir(), 'diag-'));
mkdirSync(join(ws, 'member', 'src'), { recursive: true });
writeFileSync(join(ws, 'member', 'src', 'lib.rs'), '');
const message = (level: string, file: string | undefined, line = 3, col = 18) =>
  JSON.stringify({
    reason: 'compiler-message',
    manifest_path: join(ws, 'member', 'Cargo.toml'),
    message: {
      message: 'mismatched types',
      code: { code: 'E0308' },
      level,
      spans: file ? [{ file_name: file, line_start: line, column_start: col, is_primary: true }] : [],
      rendered: `\u001b[1merror[E0308]\u001b[0m: mismatched types\n --> ${file}:${line}:${col}\n`,
    },
  });

describe('parseDiagnostics', () => {
  it('takes level, code, rendered text and the primary span, made relative to the root when inside it', () => {
    const out = [message('error', 'member/src/lib.rs'), 'not json', '{"reason":"build-finished"}'].join('\n');
    expect(parseDiagnostics(out, ws)).toEqual([
      expect.objectContaining({ level: 'error', code: 'E0308', file: 'member/src/lib.rs', line: 3, column: 18 }),
    ]);
    // A root the workspace is below: the path grows to be relative to it.
    expect(parseDiagnostics(out, join(ws, '..'))[0].file).toBe(join(ws.split('/').pop()!, 'member/src/lib.rs'));
    // No root: as rustc named it.
    expect(parseDiagnostics(out)[0].file).toBe('member/src/lib.rs');
  });

  it('keeps diagnostics without a span, with no location', () => {
    const [d] = parseDiagnostics(message('error', undefined));
    expect(d.file).toBeUndefined();
    expect(diagnosticLine(d)).toBe('error[E0308]: mismatched types');
  });

  it('one line for an error message, and text without ANSI codes', () => {
    const [d] = parseDiagnostics(message('error', 'member/src/lib.rs'), ws);
    expect(diagnosticLine(d)).toBe('error[E0308]: mismatched types --> member/src/lib.rs:3:18');
    expect(stripAnsi(d.rendered)).toBe('error[E0308]: mismatched types\n --> member/src/lib.rs:3:18\n');
  });
});

describe('lineSplitter', () => {
  it('joins chunks that cut lines and emits whole lines only', () => {
    const lines: string[] = [];
    const s = lineSplitter((l) => lines.push(l));
    for (const c of ['error', ':', ' mismatched\r\n   --> src', '/main.rs\n', 'tail']) s.push(c);
    expect(lines).toEqual(['error: mismatched', '   --> src/main.rs']);
    s.flush();
    expect(lines.at(-1)).toBe('tail');
  });
});
