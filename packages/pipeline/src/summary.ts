// The GitHub Actions step summary: the same tables as the terminal, written through @actions/core's summary.
import type { summary as coreSummary } from '@actions/core';
import type { SmokeResult } from '@wasm-build/smoke';
import type { VerifyDocument } from '@wasm-build/wasm';
import escapeHtml from 'escape-html';
import type { StageRow } from './stages.ts';
import type { AttachedStatement } from './steps/attach.ts';
import type { PushSummary } from './steps/image.ts';
import { checkTable, featureTable, runtimeTable, stageTable, type TableData, validityLine } from './table.ts';

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
  s.addRaw(`<p>${escapeHtml(validityLine(doc))}</p>`, true);
  if (doc.kind === 'component') s.addRaw('<p>A component: which features it uses cannot be proven.</p>', true);
  else if (used.rows.length) addTable(s, used);
  else s.addRaw('<p>Uses no post-MVP feature.</p>', true);
  if (doc.checks.length) addTable(s, checkTable(doc.checks));
  addTable(s, runtimeTable(doc.runtimes));
  return s;
}

/** Adds the pipeline's stage table under a heading. Does not write. */
export function addStageSummary(s: Summary, rows: StageRow[], title = 'wasm-build'): Summary {
  return addTable(s.addHeading(escapeHtml(title), 2), stageTable(rows));
}

/** Adds the build section: module name and sizes before and after wasm-opt, bytes. Does not write. */
export function addBuildSummary(
  s: Summary,
  b: { name: string; path: string; before: number; after: number; wasmOpt?: string },
): Summary {
  const pct = b.before ? `${((1 - b.after / b.before) * 100).toFixed(1)}%` : '';
  return addTable(s.addHeading(`build: ${escapeHtml(b.name)}.wasm`, 3), {
    head: ['module', 'cargo output (bytes)', 'after wasm-opt (bytes)', 'saved', 'wasm-opt'],
    rows: [[b.path, String(b.before), String(b.after), pct, b.wasmOpt ?? 'not run']],
    widths: [],
  });
}

/**
 * Adds the image section: reference, digest, platform and layout; with a push, the backend and why it was chosen,
 * bytes uploaded (and blobs already there), attempts and tags; then the manifest annotations. Does not write.
 */
export function addImageSummary(
  s: Summary,
  i: {
    ref?: string;
    digest: string;
    entrypoint: string;
    annotations: Record<string, string>;
    layoutDir: string;
    push?: PushSummary;
  },
): Summary {
  addTable(s.addHeading('image', 3), {
    head: ['reference', 'digest', 'platform', 'entrypoint', 'layout'],
    rows: [[i.ref ?? '(not pushed)', i.digest, 'wasi/wasm', i.entrypoint, i.layoutDir]],
    widths: [],
  });
  const p = i.push;
  if (p) {
    addTable(s, {
      head: ['backend', 'why', 'uploaded', 'attempts', 'tags'],
      rows: [
        [
          p.backend,
          p.reason,
          p.bytesUploaded === undefined
            ? 'not reported by buildx'
            : `${p.bytesUploaded} bytes in ${p.blobsUploaded} blobs (${p.blobsPresent} already there)`,
          String(p.attempts),
          p.tags.join(', '),
        ],
      ],
      widths: [],
    });
  }
  return addTable(s, { head: ['annotation', 'value'], rows: Object.entries(i.annotations), widths: [] });
}

/**
 * Adds a row per statement attached to the image as an OCI referrer: kind, artifactType, the referrer manifest's
 * digest, the statement's size (bytes), and how registries list it (the referrers API or the `sha256-<hex>` tag).
 * Does not write.
 */
export function addAttachedSummary(s: Summary, subject: string, attached: AttachedStatement[]): Summary {
  return addTable(s.addHeading('attached to the image (OCI referrers)', 3), {
    head: ['statement', 'artifactType', 'referrer digest', 'size', 'subject', 'listed by'],
    rows: attached.map((a) => [
      a.kind,
      a.artifactType,
      a.digest,
      `${a.size} bytes`,
      subject,
      a.via === 'referrers-api' ? 'referrers API' : `tag sha256-${subject.replace(/^sha256:/, '')}`,
    ]),
    widths: [],
  });
}

/** Adds a row per runtime: status, exit code, time (ms), first stdout line, reason. Does not write. */
export function addSmokeSummary(s: Summary, results: SmokeResult[]): Summary {
  return addTable(s.addHeading('smoke-test', 3), {
    head: ['runtime', 'status', 'runtime fit', 'outcome', 'exit code', 'time', 'stdout', 'reason'],
    rows: results.map((r) => [
      r.runtime,
      r.mismatch ? `${r.status} ⚠` : r.status,
      r.predicted?.status ?? '',
      r.outcome ? `${r.outcome.class}${r.outcome.error ? `: ${r.outcome.error}` : ''}` : '',
      r.exitCode?.toString() ?? '',
      `${r.durationMs} ms`,
      r.stdout.split('\n')[0],
      [r.mismatch && `${r.mismatch}: the fit is wrong; the run counts`, r.reason, r.note].filter(Boolean).join('; '),
    ]),
    widths: [],
  });
}
