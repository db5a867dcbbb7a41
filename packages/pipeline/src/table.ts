import { colorEnabled, columnsOf, type TerminalStyle, unicodeEnabled } from '@wasm-build/kit/terminal';
import type { CheckResult, RuntimeFit, VerifyDocument } from '@wasm-build/wasm';
import Table from 'cli-table3';
import { createColors } from 'picocolors';
import type { StageRow } from './stages.ts';

/** A table as data: a header and rows of cells. Rendered for the terminal here and for the step summary in summary.ts. */
export interface TableData {
  head: string[];
  rows: string[][];
  /** Largest terminal width of each column, characters, padding included (0 or absent: as wide as its content). */
  widths: number[];
  /** Column alignment; left when absent. */
  aligns?: ('left' | 'right')[];
  /**
   * Columns that wrap to fit the terminal, the widest narrowed first. The others (names, status words, times,
   * sizes) are never narrower than their content, so a status word such as "needs-flag" is never cut.
   */
  flex?: number[];
  /** Columns holding status words, coloured by `STATUS_COLOR` when colour is allowed. */
  status?: number[];
}

/** How a table is laid out: the width to fit (characters), colour, and Unicode or ASCII borders. */
export type TableStyle = Partial<Pick<TerminalStyle, 'columns' | 'color' | 'unicode'>>;

/** The layout used when none is given: 128 columns, no colour, box-drawing borders (logs and tests). */
export const PLAIN_STYLE: Required<TableStyle> = { columns: 128, color: false, unicode: true };

/**
 * The style for tables printed on stdout: its width (`process.stdout.columns`, else COLUMNS, else 100), colour
 * (NO_COLOR, FORCE_COLOR, a terminal) and borders (Unicode on a UTF-8 terminal, else ASCII); see kit's terminal.ts.
 */
export function stdoutStyle(env: NodeJS.ProcessEnv = process.env): Required<TableStyle> {
  return {
    columns: columnsOf(process.stdout, env),
    color: colorEnabled(process.stdout, env),
    unicode: unicodeEnabled(process.stdout, env),
  };
}

const MARK = { ok: 'ok', failed: 'FAILED', skipped: 'skipped' } as const;

/** The colour of each status word the tables show; words not listed stay plain. */
export const STATUS_COLOR: Record<string, 'green' | 'red' | 'yellow' | 'dim'> = {
  ok: 'green',
  FAILED: 'red',
  skipped: 'dim',
  yes: 'green',
  no: 'dim',
  unknown: 'yellow',
  pass: 'green',
  fail: 'red',
  warn: 'yellow',
  runs: 'green',
  'needs-flag': 'yellow',
  cannot: 'red',
  invalid: 'red',
};

/** The pipeline's stages: stage, result, time (ms), bytes, detail. */
export function stageTable(rows: StageRow[]): TableData {
  return {
    head: ['stage', 'result', 'time', 'bytes', 'detail'],
    rows: rows.map((r) => [
      r.stage,
      MARK[r.status],
      r.status === 'skipped' ? '' : `${r.durationMs} ms`,
      r.bytes?.toString() ?? '',
      r.detail,
    ]),
    widths: [],
    aligns: ['left', 'left', 'right', 'right', 'left'],
    flex: [4],
    status: [1],
  };
}

/** A verify report's features: feature, used, evidence. */
export function featureTable(doc: Pick<VerifyDocument, 'features'>): TableData {
  return {
    head: ['feature', 'used', 'evidence'],
    rows: Object.entries(doc.features).map(([f, u]) => [
      f,
      u.used === 'unknown' ? 'unknown' : u.used ? 'yes' : 'no',
      u.evidence,
    ]),
    widths: [],
    flex: [2],
    status: [1],
  };
}

/** Checks that ran: check, result, message (evidence and fix). */
export function checkTable(checks: CheckResult[]): TableData {
  return {
    head: ['check', 'result', 'message'],
    rows: checks.map((c) => [c.name, c.status, c.message]),
    widths: [],
    flex: [2],
    status: [1],
  };
}

/** Runtime fit: runtime, status, flags, reason. */
export function runtimeTable(runtimes: RuntimeFit[]): TableData {
  return {
    head: ['runtime', 'status', 'flags', 'reason'],
    rows: runtimes.map((r) => [r.runtime, r.status, r.flags.join(' '), r.reason]),
    widths: [],
    flex: [3, 2],
    status: [1],
  };
}

/** The narrowest a wrapping column gets, characters with padding: below it a cell is a column of syllables. */
const FLEX_MIN = 12;

/**
 * Lines of `text` at most `width` characters long: existing line breaks kept, words moved whole to the next line,
 * and only a word longer than `width` (a path, a digest) split.
 */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  const w = Math.max(1, width);
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/ +/)) {
      let rest = word;
      if (line && line.length + 1 + rest.length <= w) {
        line += ` ${rest}`;
        continue;
      }
      if (line) out.push(line);
      line = '';
      while (rest.length > w) {
        out.push(rest.slice(0, w));
        rest = rest.slice(w);
      }
      line = rest;
    }
    out.push(line);
  }
  return out;
}

/**
 * Column widths (padding included) for a table `columns` characters wide with its borders: each column as wide as
 * its content (at most `widths[i]` when given), then the `flex` columns narrowed, the widest first, down to FLEX_MIN
 * (or their content) until the table fits. The other columns keep their content's width: when they alone are wider
 * than `columns`, the table is wider than `columns` rather than cut a word.
 */
export function columnWidths(t: TableData, columns: number): number[] {
  const n = t.head.length;
  const natural = t.head.map((h, i) => {
    const cells = [h, ...t.rows.map((r) => r[i] ?? '')];
    const longest = Math.max(...cells.flatMap((c) => c.split('\n').map((l) => l.length)));
    const cap = t.widths[i];
    return cap ? Math.min(cap, longest + 2) : longest + 2;
  });
  const widths = [...natural];
  let over = widths.reduce((a, b) => a + b, 0) + n + 1 - columns;
  // The widest wrapping column gives up a character at a time (the first listed on a tie), so that they end even.
  const flex = t.flex ?? [];
  const floor = (i: number) => Math.min(natural[i], FLEX_MIN);
  while (over > 0) {
    let pick = -1;
    for (const i of flex) if (widths[i] > floor(i) && (pick < 0 || widths[i] > widths[pick])) pick = i;
    if (pick < 0) break;
    widths[pick]--;
    over--;
  }
  return widths;
}

const ASCII_BORDERS = {
  top: '-',
  'top-mid': '+',
  'top-left': '+',
  'top-right': '+',
  bottom: '-',
  'bottom-mid': '+',
  'bottom-left': '+',
  'bottom-right': '+',
  left: '|',
  'left-mid': '+',
  mid: '-',
  'mid-mid': '+',
  right: '|',
  'right-mid': '+',
  middle: '|',
};

/**
 * Renders a table for a terminal or a log, `style.columns` wide at most (default `PLAIN_STYLE`, 128): the `flex`
 * columns wrap (`wrapText`), the others keep their content whole; status words coloured when `style.color`;
 * Unicode box-drawing borders, or ASCII (`+-|`) when `style.unicode` is false.
 */
export function renderTable(t: TableData, style: TableStyle = {}): string {
  const s = { ...PLAIN_STYLE, ...style };
  const c = createColors(s.color);
  const widths = columnWidths(t, s.columns);
  const table = new Table({
    head: t.head,
    style: { head: [], border: [] },
    colWidths: widths,
    ...(t.aligns && { colAligns: t.aligns }),
    wordWrap: false,
    ...(!s.unicode && { chars: ASCII_BORDERS }),
  });
  for (const r of t.rows) {
    table.push(
      r.map((cell, i) => {
        const text = wrapText(cell, widths[i] - 2).join('\n');
        const colour = t.status?.includes(i) ? STATUS_COLOR[cell] : undefined;
        return colour ? c[colour](text) : text;
      }),
    );
  }
  return table.toString();
}

/** Options of `renderStageTable`: the table's style, and whether the run's error is printed after it. */
export interface StageTableOptions extends TableStyle {
  /** A failed stage's detail says "error below" instead of repeating the error the CLI prints last. */
  errorBelow?: boolean;
}

/** The final table of a pipeline run (`stageTable`), laid out by `renderTable`; see `StageTableOptions`. */
export function renderStageTable(rows: StageRow[], o: StageTableOptions = {}): string {
  const shown = o.errorBelow ? rows.map((r) => (r.status === 'failed' ? { ...r, detail: 'error below' } : r)) : rows;
  return renderTable(stageTable(shown), o);
}

/** One line on validity: "validity: valid (V8 …)", or the validator's message and offset. */
export function validityLine(doc: VerifyDocument): string {
  const v = doc.validity;
  const at = v.offset !== undefined ? ` at byte offset ${v.offset}` : '';
  const why = v.status === 'unknown' ? `, it lacks ${v.missing?.join(', ')}` : '';
  return `validity: ${v.status} (${v.validator}${why})${v.message ? `${at}: ${v.message}` : ''}`;
}

/**
 * What `wasm-build verify` prints: validity, features, checks (when any ran), runtime fit, and the atomics by kind;
 * the tables laid out by `style` (`renderTable`).
 */
export function renderVerify(doc: VerifyDocument, style: TableStyle = {}): string {
  const parts = [validityLine(doc), renderTable(featureTable(doc), style)];
  if (doc.checks.length) parts.push(renderTable(checkTable(doc.checks), style));
  parts.push(renderTable(runtimeTable(doc.runtimes), style));
  const { total, ...kinds } = doc.atomics;
  const atomics = `atomics: ${total} (${Object.entries(kinds)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')})`;
  const features = `target_features: ${doc.targetFeatures?.join(' ') ?? '(none)'}`;
  // One line when it fits the width asked for (or none is), else the features on their own lines.
  const columns = style.columns ?? Number.POSITIVE_INFINITY;
  parts.push(
    atomics.length + 2 + features.length <= columns
      ? `${atomics}  ${features}`
      : [...wrapText(atomics, columns), ...wrapText(features, columns)].join('\n'),
  );
  return parts.join('\n');
}
