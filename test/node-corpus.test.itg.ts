// Every corpus module really run under node:wasi through our Node runner (packages/smoke node-runner.ts), its outcome
// class held to RUNTIME-OUTCOMES.tsv's node_wasi column (Node 20.20.2, same invocation: every imported memory given,
// start() else initialize()).
import { join } from 'node:path';
import { runUnderNode } from '@wasm-build/smoke';
import { verifyBinary, WasmParseError } from '@wasm-build/wasm';
import { describe, expect, it } from 'vitest';
import { CORPUS, corpusFile, corpusPresent, readTsv } from './helpers/corpus.ts';

const present = corpusPresent();
if (!present) console.log(`SKIP node corpus runs: missing ../shared/corpus (${CORPUS})`);
const rows = present ? readTsv(join(CORPUS, 'RUNTIME-OUTCOMES.tsv')) : [];
const major = Number(process.versions.node.split('.')[0]);
if (major !== 20) console.log(`node corpus runs: the table was measured on Node 20; this is ${process.version}`);

describe.runIf(present)('our node runner on every corpus module', () => {
  it.each(rows.map((r) => [r.file, r.node_wasi]))(
    '%s: %s',
    async (file, cell) => {
      const wasm = corpusFile(file);
      // The runner needs the report for the memories to give; a module our decoder refuses is run with none.
      const report = await verifyBinary(wasm).catch((e) => {
        if (e instanceof WasmParseError) return undefined;
        throw e;
      });
      const r = await runUnderNode(
        wasm,
        'm.wasm',
        report ?? ({ memories: [], features: { 'shared-memory': { used: false } } } as never),
        { timeoutMs: 60_000 },
      );
      const want = /^(ran|trap|timeout|load-fail|link-fail|no-entry)/.exec(cell)![1];
      expect(r.outcome?.class, `${r.reason}\n${r.stderr}`).toBe(want);
      const exit = /^ran exit (\d+)/.exec(cell);
      if (exit) expect(r.exitCode).toBe(Number(exit[1]));
      const link = /^link-fail: (\S+)\.(\S+) \(/.exec(cell);
      if (link) expect(r.outcome?.error).toContain(`module="${link[1]}"`);
    },
    90_000,
  );
});
