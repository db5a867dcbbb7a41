// Runtime fit held against what real WasmEdge 0.17.1, crun 1.27.1 +WASM:wasmedge and Node 20 did with every corpus
// module (shared/corpus/RUNTIME-OUTCOMES.tsv, the oracle): any disagreement fails.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, corpusFile, readTsv } from '../../../test/helpers/corpus.ts';
import { type RuntimeFit, verifyBinary, WasmParseError } from '../src/index.ts';

const rows = readTsv(join(CORPUS, 'RUNTIME-OUTCOMES.tsv'));

type Outcome = 'ran' | 'trap' | 'timeout' | 'load-fail' | 'link-fail' | 'no-entry';
const outcomeClass = (cell: string): Outcome => {
  const m = /^(ran|trap|timeout|load-fail|link-fail|no-entry)\b/.exec(cell);
  if (!m) throw new Error(`unknown outcome class: ${cell}`);
  return m[1] as Outcome;
};

async function fits(file: string): Promise<Record<string, Pick<RuntimeFit, 'status' | 'flags' | 'reason'>>> {
  try {
    const doc = await verifyBinary(corpusFile(file));
    return Object.fromEntries(doc.runtimes.map((f) => [f.runtime, f]));
  } catch (e) {
    if (!(e instanceof WasmParseError)) throw e;
    // Our decoder refuses it: verify fails, no runtime is offered it.
    const invalid = { status: 'invalid' as const, flags: [], reason: e.message };
    return { wasmedge: invalid, 'crun-wasmedge': invalid, node: invalid };
  }
}

/** Whether a fit agrees with a measured outcome (and, for WasmEdge, with the --enable-threads run). */
function agrees(fit: Pick<RuntimeFit, 'status' | 'flags'>, plain: Outcome, flagged?: Outcome): boolean {
  const ran = (o?: Outcome) => o === 'ran' || o === 'trap';
  if (ran(plain)) return fit.status === 'runs';
  if (plain === 'timeout') return fit.status === 'runs' || fit.status === 'unknown';
  if (flagged && ran(flagged)) return fit.status === 'needs-flag' && fit.flags.includes('--enable-threads');
  return fit.status === 'cannot' || fit.status === 'invalid';
}

describe('runtime fit against RUNTIME-OUTCOMES.tsv', () => {
  it('reads the whole table', () => {
    expect(rows.length).toBeGreaterThanOrEqual(90);
  });

  const columns = [
    ['wasmedge', 'wasmedge', 'wasmedge_enable_threads'],
    ['crun-wasmedge', 'crun_wasmedge', undefined],
    ['node', 'node_wasi', undefined],
  ] as const;

  it.each(rows.map((r) => [r.file, r]))('%s', async (file, row) => {
    const fit = await fits(file);
    const disagreements: string[] = [];
    for (const [runtime, column, flaggedColumn] of columns) {
      const plain = outcomeClass(row[column]);
      const flagged = flaggedColumn ? outcomeClass(row[flaggedColumn]) : undefined;
      const f = fit[runtime];
      if (!agrees(f, plain, flagged)) {
        disagreements.push(`${runtime}: fit ${f.status} ${f.flags.join(' ')} (${f.reason}); measured: ${row[column]}`);
        continue;
      }
      // The reason names what decided it: the import the runtime could not link, or the missing _start.
      const link = /^link-fail: (\S+) \(/.exec(row[flaggedColumn ?? column]);
      if (f.status === 'cannot' && link && !f.reason.includes(link[1]))
        disagreements.push(`${runtime}: reason does not name ${link[1]}: ${f.reason}`);
      if (f.status === 'cannot' && plain === 'no-entry' && !f.reason.includes('_start'))
        disagreements.push(`${runtime}: reason does not name _start: ${f.reason}`);
    }
    expect(disagreements).toEqual([]);
  });
});
