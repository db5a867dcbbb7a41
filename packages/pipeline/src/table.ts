import type { CheckResult, RuntimeFit, VerifyDocument } from '@wasm-build/wasm';
import Table from 'cli-table3';
import type { StageRow } from './stages.ts';

/** A table as data: a header and rows of cells. Rendered for the terminal here and for the step summary in summary.ts. */
export interface TableData {
  head: string[];
  rows: string[][];
  /** Terminal column widths, characters. */
  widths: number[];
  /** Column alignment; left when absent. */
  aligns?: ('left' | 'right')[];
}

const MARK = { ok: 'ok', failed: 'FAILED', skipped: 'skipped' } as const;

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
    widths: [12, 9, 10, 11, 80],
    aligns: ['left', 'left', 'right', 'right', 'left'],
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
    widths: [26, 9, 87],
  };
}

/** Checks that ran: check, result, message (evidence and fix). */
export function checkTable(checks: CheckResult[]): TableData {
  return {
    head: ['check', 'result', 'message'],
    rows: checks.map((c) => [c.name, c.status, c.message]),
    widths: [26, 6, 90],
  };
}

/** Runtime fit: runtime, status, flags, reason. */
export function runtimeTable(runtimes: RuntimeFit[]): TableData {
  return {
    head: ['runtime', 'status', 'flags', 'reason'],
    rows: runtimes.map((r) => [r.runtime, r.status, r.flags.join(' '), r.reason]),
    widths: [15, 11, 18, 78],
  };
}

/** Renders a table with plain borders for a terminal or a log; long cells wrap. */
export function renderTable(t: TableData): string {
  const table = new Table({
    head: t.head,
    style: { head: [], border: [] },
    colWidths: t.widths,
    ...(t.aligns && { colAligns: t.aligns }),
    wordWrap: true,
  });
  for (const r of t.rows) table.push(r);
  return table.toString();
}

/** The final table of a pipeline run. */
export function renderStageTable(rows: StageRow[]): string {
  return renderTable(stageTable(rows));
}

/** One line on validity: "validity: valid (V8 …)", or the validator's message and offset. */
export function validityLine(doc: VerifyDocument): string {
  const v = doc.validity;
  const at = v.offset !== undefined ? ` at byte offset ${v.offset}` : '';
  const why = v.status === 'unknown' ? `, it lacks ${v.missing?.join(', ')}` : '';
  return `validity: ${v.status} (${v.validator}${why})${v.message ? `${at}: ${v.message}` : ''}`;
}

/** What `wasm-build verify` prints: validity, features, checks (when any ran), runtime fit, and the atomics by kind. */
export function renderVerify(doc: VerifyDocument): string {
  const parts = [validityLine(doc), renderTable(featureTable(doc))];
  if (doc.checks.length) parts.push(renderTable(checkTable(doc.checks)));
  parts.push(renderTable(runtimeTable(doc.runtimes)));
  const { total, ...kinds } = doc.atomics;
  parts.push(
    `atomics: ${total} (${Object.entries(kinds)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')})  target_features: ${doc.targetFeatures?.join(' ') ?? '(none)'}`,
  );
  return parts.join('\n');
}
