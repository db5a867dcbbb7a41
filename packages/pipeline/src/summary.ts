// The GitHub Actions step summary: the same tables as the terminal, written through @actions/core's summary.
import type { summary as coreSummary } from '@actions/core';
import type { VerifyDocument } from '@wasm-build/wasm';
import escapeHtml from 'escape-html';
import type { StageRow } from './stages.ts';
import { checkTable, featureTable, runtimeTable, stageTable, type TableData } from './table.ts';

/** `@actions/core`'s `summary` (a buffer written to `$GITHUB_STEP_SUMMARY` by `write()`). */
export type Summary = typeof coreSummary;

/**
 * Adds a table; cells are HTML-escaped, since `summary.addTable` writes them into HTML as they are, and an empty
 * cell becomes a space, since `summary.wrap` leaves an empty element unclosed (`<td>`).
 */
export function addTable(s: Summary, t: TableData): Summary {
  return s.addTable([
    t.head.map((h) => ({ data: escapeHtml(h), header: true })),
    ...t.rows.map((r) => r.map((c) => escapeHtml(c) || ' ')),
  ]);
}

/**
 * Adds the verify section: a line with the binary's kind, size (bytes) and WASI version; the features it uses
 * with the evidence; the checks; the runtime fit. Does not write: call `summary.write()` once per step.
 */
export function addVerifySummary(s: Summary, doc: VerifyDocument, file: string): Summary {
  const used = featureTable(doc);
  used.rows = used.rows.filter((r) => r[1] === 'yes');
  const failed = doc.checks.filter((c) => c.status === 'fail').length;
  s.addHeading(`verify: ${escapeHtml(file)}`, 3).addRaw(
    `<p>${doc.kind}, ${doc.size} bytes, WASI ${doc.wasi.version}, ${doc.atomics.total} atomic instructions, ` +
      `${doc.checks.length} checks (${failed} failed)</p>`,
    true,
  );
  if (used.rows.length) addTable(s, used);
  else s.addRaw('<p>Uses no post-MVP feature.</p>', true);
  if (doc.checks.length) addTable(s, checkTable(doc.checks));
  addTable(s, runtimeTable(doc.runtimes));
  return s;
}

/** Adds the pipeline's stage table under a heading. Does not write. */
export function addStageSummary(s: Summary, rows: StageRow[], title = 'wasm-build'): Summary {
  return addTable(s.addHeading(escapeHtml(title), 2), stageTable(rows));
}
