import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summary } from '@actions/core';
import { type CheckOptions, verifyBinary } from '@wasm-build/wasm';
import { beforeEach, describe, expect, it } from 'vitest';
import { corpusFile } from '../../../test/helpers/corpus.ts';
import { addStageSummary, addVerifySummary } from '../src/summary.ts';

// @actions/core resolves $GITHUB_STEP_SUMMARY once per process, so the tests share one file and empty it.
const file = join(mkdtempSync(join(tmpdir(), 'summary-')), 'step-summary.md');
process.env.GITHUB_STEP_SUMMARY = file;
beforeEach(() => {
  writeFileSync(file, '');
  summary.emptyBuffer();
});

const doc = (name: string, checks: CheckOptions) => verifyBinary(corpusFile(`binaries/${name}`), checks);

describe('step summary', () => {
  it('writes the used features, the failed W-005 check with its fix, and the runtime fit to $GITHUB_STEP_SUMMARY', async () => {
    const d = await doc('wasi-testsuite_as_fd_write-to-stdout.wasm', { require: ['threads'], maxSize: 1 });
    await addVerifySummary(summary, d, 'target/<app>.wasm').write();
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<h3>verify: target/&lt;app&gt;.wasm</h3>');
    expect(html).toMatch(/<p>module, \d+ bytes, WASI preview1, 0 atomic instructions, 2 checks \(2 failed\)<\/p>/);
    expect(html).toContain('<tr><th>check</th><th>result</th><th>message</th></tr>');
    expect(html).toMatch(/<tr><td>require threads<\/td><td>fail<\/td><td>The module was required to use threads/);
    expect(html).toContain('--target wasm32-wasip1-threads');
    expect(html).toMatch(
      /<tr><td>crun-wasmedge<\/td><td>runs<\/td><td> <\/td><td>valid \(V8 [^)]*\)\); uses only what crun/,
    );
    expect(html).toContain('<p>Uses no post-MVP feature.</p>');
    expect(html).toContain('RUSTFLAGS=&quot;-C target-feature');
    // Unused features are left out; every element is one the summary writes, and closed.
    expect(html).not.toMatch(/<td>atomics<\/td>/);
    expect(html.match(/<td>/g)?.length).toBe(html.match(/<\/td>/g)?.length);
    expect(html).not.toMatch(/<(?!\/?(h3|p|table|tr|th|td)>)/);
  });

  it('lists shared memory and atomics with their evidence for a wasi-threads module', async () => {
    await addVerifySummary(summary, await doc('wasi-testsuite_thread_spawn-simple.wasm', {}), 'threads.wasm').write();
    const html = readFileSync(file, 'utf8');
    expect(html).toContain(
      '<tr><td>shared-memory</td><td>yes</td><td>imported memory env.memory (min 2, max 2 pages, shared)</td></tr>',
    );
    expect(html).toContain(
      '<tr><td>atomics</td><td>yes</td><td>59 atomic instructions (11 store, 14 rmw, 24 cmpxchg, 10 waitNotify)</td></tr>',
    );
    expect(html).not.toContain('<th>check</th>');
  });

  it('writes the stage table', async () => {
    await addStageSummary(summary, [
      { stage: 'build', status: 'ok', durationMs: 1200, bytes: 67539, detail: 'hello.wasm from hello' },
      { stage: 'push', status: 'skipped', durationMs: 0, detail: 'no image reference given' },
    ]).write();
    expect(readFileSync(file, 'utf8')).toBe(
      '<h2>wasm-build</h2>\n<table><tr><th>stage</th><th>result</th><th>time</th><th>bytes</th><th>detail</th></tr>' +
        '<tr><td>build</td><td>ok</td><td>1200 ms</td><td>67539</td><td>hello.wasm from hello</td></tr>' +
        '<tr><td>push</td><td>skipped</td><td> </td><td> </td><td>no image reference given</td></tr></table>\n',
    );
  });
});
