// The CLI's tables fit the terminal (issue 15, item 2): sized to the width given (process.stdout.columns, else 100),
// the detail columns wrapped, status words never cut, colour and Unicode borders only when allowed.
import { withoutAnsi } from '@wasm-build/kit/terminal';
import type { RuntimeFit } from '@wasm-build/wasm';
import { describe, expect, it } from 'vitest';
import type { StageRow } from '../src/stages.ts';
import { columnWidths, renderStageTable, renderTable, runtimeTable, stdoutStyle, wrapText } from '../src/table.ts';

const ROWS: StageRow[] = [
  { stage: 'setup', status: 'ok', durationMs: 872, detail: 'rustc 1.63.0 (debian), wasm32-wasi' },
  {
    stage: 'smoke-test',
    status: 'failed',
    durationMs: 12345,
    detail:
      'cargo build failed for /work/main/test/fixtures/broken-crate/Cargo.toml (target wasm32-wasi, exit code 101): error[E0308]: mismatched types --> src/main.rs:3:18',
  },
  { stage: 'push', status: 'skipped', durationMs: 0, detail: 'no image reference given' },
];

const fit = (f: Pick<RuntimeFit, 'runtime' | 'status' | 'flags' | 'reason'>): RuntimeFit => ({
  ...f,
  source: 'test',
  profile: 'test',
});
const FITS: RuntimeFit[] = [
  fit({
    runtime: 'wasmtime',
    status: 'needs-flag',
    flags: ['-W', 'threads=y', '-S', 'threads=y'],
    reason: 'shared memory and atomics need the threads proposal, off by default in wasmtime run',
  }),
  fit({ runtime: 'crun-wasmedge', status: 'cannot', flags: [], reason: 'crun passes no flag to WasmEdge' }),
  fit({ runtime: 'node', status: 'runs', flags: [], reason: '' }),
];

const widthOf = (out: string) =>
  Math.max(
    ...withoutAnsi(out)
      .split('\n')
      .map((l) => [...l].length),
  );

describe('tables sized to the terminal', () => {
  it.each([60, 80, 200])('%i columns: every line fits, status words whole', (columns) => {
    const stages = renderStageTable(ROWS, { columns, unicode: true });
    const fit = renderTable(runtimeTable(FITS), { columns, unicode: true });
    expect(widthOf(stages)).toBeLessThanOrEqual(columns);
    expect(widthOf(fit)).toBeLessThanOrEqual(columns);
    for (const word of ['ok', 'FAILED', 'skipped', 'smoke-test']) expect(stages).toMatch(new RegExp(`│ ${word}\\s+│`));
    for (const word of ['needs-flag', 'cannot', 'runs', 'crun-wasmedge'])
      expect(fit).toMatch(new RegExp(`│ ${word}\\s+│`));
    // The detail is all there, wrapped rather than cut (no ellipsis).
    const words = withoutAnsi(stages).replace(/[│\s]+/g, ' ');
    expect(stages).not.toContain('…');
    expect(words.replace(/ /g, '')).toContain('src/main.rs:3:18');
  });

  it('uses the width it is given: one line per row when wide enough, more lines the narrower', () => {
    const lines = (columns: number) => renderStageTable(ROWS, { columns }).split('\n').length;
    // Borders: top, under the head, two between the rows, bottom; then the head and one line per row.
    expect(lines(250)).toBe(5 + 1 + 3);
    expect(lines(200)).toBeGreaterThan(lines(250));
    expect(lines(60)).toBeGreaterThan(lines(80));
  });

  it('keeps the fixed columns at their content when even they do not fit, rather than cut a word', () => {
    const w = columnWidths(runtimeTable(FITS), 20);
    expect(w[0]).toBe('crun-wasmedge'.length + 2);
    expect(w[1]).toBe('needs-flag'.length + 2);
  });

  it('says "error below" in a failed row when the CLI prints the error last', () => {
    const out = renderStageTable(ROWS, { columns: 100, errorBelow: true });
    expect(out).toMatch(/│ smoke-test\s+│ FAILED\s+│\s+12345 ms │\s+│ error below/);
    expect(out).not.toContain('cargo build failed');
  });

  it('draws ASCII borders without Unicode, and colours status words only with colour', () => {
    const ascii = renderStageTable(ROWS, { columns: 80, unicode: false });
    expect(ascii).toMatch(/^\+-+\+/);
    expect(ascii).toMatch(/\| setup\s+\| ok\s+\|/);
    expect(ascii).not.toMatch(/[│┌─]/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are what is looked for
    const ansi = /\u001b\[/;
    expect(ascii).not.toMatch(ansi);
    const coloured = renderStageTable(ROWS, { columns: 80, color: true });
    expect(coloured).toContain('\u001b[32mok\u001b[39m');
    expect(coloured).toContain('\u001b[31mFAILED\u001b[39m');
    expect(widthOf(coloured)).toBeLessThanOrEqual(80);
  });

  it('wraps words whole and splits only a word longer than the column', () => {
    expect(wrapText('a bb ccc', 4)).toEqual(['a bb', 'ccc']);
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapText('one\ntwo', 10)).toEqual(['one', 'two']);
  });

  it('takes stdout as it is: 100 columns, no colour, ASCII when it is not a terminal', () => {
    const isTTY = process.stdout.isTTY;
    try {
      Object.defineProperty(process.stdout, 'isTTY', { value: false, configurable: true });
      expect(stdoutStyle({})).toEqual({ columns: 100, color: false, unicode: false });
      expect(stdoutStyle({ COLUMNS: '72', FORCE_COLOR: '1' })).toEqual({ columns: 72, color: true, unicode: false });
    } finally {
      Object.defineProperty(process.stdout, 'isTTY', { value: isTTY, configurable: true });
    }
  });
});
