import Table from 'cli-table3';
import type { StageRow } from './stages.ts';

const MARK = { ok: 'ok', failed: 'FAILED', skipped: 'skipped' } as const;

/** The final table: stage, result, time (ms), bytes, detail. Plain ASCII borders so logs stay readable. */
export function renderStageTable(rows: StageRow[]): string {
  const t = new Table({
    head: ['stage', 'result', 'time', 'bytes', 'detail'],
    style: { head: [], border: [] },
    colWidths: [12, 9, 10, 11, 80],
    wordWrap: true,
    colAligns: ['left', 'left', 'right', 'right', 'left'],
  });
  for (const r of rows) {
    t.push([
      r.stage,
      MARK[r.status],
      r.status === 'skipped' ? '' : `${r.durationMs} ms`,
      r.bytes?.toString() ?? '',
      r.detail,
    ]);
  }
  return t.toString();
}

/** The feature table of a verify report: feature, used, evidence. */
export function renderFeatureTable(report: import('@wasm-build/wasm').VerifyReport): string {
  const t = new Table({
    head: ['feature', 'used', 'evidence'],
    style: { head: [], border: [] },
    colWidths: [26, 6, 90],
    wordWrap: true,
  });
  for (const [f, u] of Object.entries(report.features)) t.push([f, u.used ? 'yes' : 'no', u.evidence]);
  return t.toString();
}
