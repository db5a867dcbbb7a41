// The shared corpus, read in place (never copied into the project).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CORPUS = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');

export function corpusPresent(): boolean {
  return existsSync(join(CORPUS, 'spec', 'MANIFEST.tsv'));
}

/** Rows of a TSV with a header line, as objects keyed by column name; `#` comment lines are skipped. */
export function readTsv(path: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .filter((l) => !l.startsWith('#'));
  const cols = head.split('\t');
  return lines.map((l) => Object.fromEntries(l.split('\t').map((v, i) => [cols[i], v])));
}

export function corpusFile(rel: string): Buffer {
  return readFileSync(join(CORPUS, rel));
}
