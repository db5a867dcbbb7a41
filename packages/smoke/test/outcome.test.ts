// The outcome classifiers fed what real WasmEdge 0.17.1 and crun 1.27.1 +WASM:wasmedge printed for every corpus
// module (RUNTIME-OUTCOMES.tsv: exit status per cell, first error line per runtime; WasmEdge writes its [error]
// lines on stdout with a timestamp, which the table removed and this test puts back). Each must give the table's class.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, readTsv } from '../../../test/helpers/corpus.ts';
import { reconcile } from '../src/judge.ts';
import { classifyCrun, classifyNode, classifyWasmEdge, type ProcessResult } from '../src/outcome.ts';
import type { SmokeResult } from '../src/types.ts';

const rows = readTsv(join(CORPUS, 'RUNTIME-OUTCOMES.tsv'));

/** The first error line the table gives for `who` ("wasmedge", "crun"), without the module's own stderr. */
function firstError(row: Record<string, string>, who: string): string {
  const part = row.first_error_lines.split(' | ').find((p) => p.startsWith(`${who}: `))!;
  return part.slice(who.length + 2).replace(/ \(module stderr: .*$/, '');
}

/** What the process printed, rebuilt from a table cell and its first error line. */
function processOf(cell: string, error: string): ProcessResult {
  const ran = /^ran exit (\d+)/.exec(cell);
  const rc = ran ? Number(ran[1]) : Number(/\(rc (\d+)\)/.exec(cell)?.[1] ?? 1);
  if (error === '-') return { exitCode: rc, stdout: /stdout: (.*)\)$/.exec(cell)?.[1] ?? '', stderr: '' };
  const [wasmedge, crun] = error.split(' ; ');
  const stamped = wasmedge.startsWith('[error]') ? `[2026-12-01 21:00:00.123] ${wasmedge}` : '';
  return {
    exitCode: rc,
    stdout: stamped,
    stderr: [stamped ? '' : wasmedge, crun ?? ''].filter(Boolean).join('\n'),
  };
}

const cls = (cell: string) => /^(ran|trap|timeout|load-fail|link-fail|no-entry)/.exec(cell)![1];
const cases = rows.flatMap((row) => [
  ['wasmedge', row.file, row.wasmedge, firstError(row, 'wasmedge')],
  ['wasmedge --enable-threads', row.file, row.wasmedge_enable_threads, firstError(row, 'wasmedge --enable-threads')],
  ['crun', row.file, row.crun_wasmedge, firstError(row, 'crun')],
]);

describe('outcome classifiers against RUNTIME-OUTCOMES.tsv', () => {
  it.each(cases.filter((c) => !c[2].startsWith('timeout')))('%s %s', (who, _file, cell, error) => {
    const r = processOf(cell, error);
    const o = who === 'crun' ? classifyCrun(r) : classifyWasmEdge(r);
    expect(o.class).toBe(cls(cell));
    if (o.class !== 'ran') expect(error).toContain(o.error!);
  });

  it('covers every class the table has', () => {
    expect(new Set(cases.map((c) => cls(c[2])))).toEqual(
      new Set(['ran', 'trap', 'timeout', 'load-fail', 'link-fail', 'no-entry']),
    );
  });

  it('reads our node runner marker, and nothing else, as a failure', () => {
    const r = (stderr: string) => classifyNode({ exitCode: 1, stdout: '', stderr });
    expect(r('panicked at src/main.rs\nwasm-build-node-runner: trap: RuntimeError: unreachable\n')).toEqual({
      class: 'trap',
      error: 'RuntimeError: unreachable',
    });
    expect(r('error: wasm-build-node-runner: link-fail: x').class).toBe('ran');
  });
});

describe('reconcile', () => {
  const run = (outcome: SmokeResult['outcome'], status: SmokeResult['status'] = 'fail'): SmokeResult => ({
    runtime: 'wasmedge',
    status,
    outcome,
    exitCode: 1,
    stdout: '',
    stderr: '',
    durationMs: 5,
  });
  const fit = (status: 'runs' | 'cannot' | 'unknown') => ({
    runtime: 'wasmedge' as const,
    status,
    flags: [],
    reason: 'R',
    source: 'S',
    profile: 'P',
  });

  it('a predicted incompatibility that failed to link is incompatible, with both reasons', () => {
    const r = reconcile(run({ class: 'link-fail', error: 'instantiation failed: unknown import' }), fit('cannot'));
    expect(r).toMatchObject({
      status: 'incompatible',
      reason: 'R; the run: link-fail: instantiation failed: unknown import',
    });
    expect(r.mismatch).toBeUndefined();
  });

  it('a predicted run that failed to load is a mismatch and stays a failure', () => {
    const r = reconcile(run({ class: 'load-fail', error: 'loading failed: illegal opcode' }), fit('runs'));
    expect(r.status).toBe('fail');
    expect(r.mismatch).toBe('runtime fit predicted runs, the run did load-fail: loading failed: illegal opcode');
  });

  it('a predicted incompatibility that ran is a mismatch, and the run counts', () => {
    const r = reconcile({ ...run({ class: 'ran' }, 'pass'), exitCode: 0 }, fit('cannot'));
    expect(r.status).toBe('pass');
    expect(r.mismatch).toBe('runtime fit predicted cannot, the run did ran (exit 0)');
  });

  it('a trap agrees with runs (the module itself failed); unknown predictions are never a mismatch', () => {
    expect(reconcile(run({ class: 'trap', error: 'unreachable' }), fit('runs')).mismatch).toBeUndefined();
    expect(reconcile(run({ class: 'load-fail' }), fit('unknown'))).toMatchObject({ status: 'fail' });
    expect(reconcile(run({ class: 'load-fail' }), fit('unknown')).mismatch).toBeUndefined();
  });
});
