import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { CORPUS, corpusFile } from '../../../test/helpers/corpus.ts';
import {
  REPORT_SCHEMA,
  verifyBinary,
  verifyDocumentJsonSchema,
  verifyDocumentSchema,
  WasmParseError,
} from '../src/index.ts';

const SCHEMA_FILE = new URL('../../../schemas/verify-report.v1.json', import.meta.url);
const committed = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));

// Every third-party binary the decoder accepts, as the document `wasm-build verify --json` prints.
const documents = (
  await Promise.all(
    readdirSync(`${CORPUS}/binaries`)
      .filter((f) => f.endsWith('.wasm'))
      .map(async (f) => {
        try {
          const checks = {
            require: ['threads' as const],
            forbid: ['simd' as const],
            maxSize: 1,
            entrypoint: '/x.wasm',
          };
          return [[f, await verifyBinary(corpusFile(`binaries/${f}`), checks)] as const];
        } catch (e) {
          if (e instanceof WasmParseError) return [];
          throw e;
        }
      }),
  )
).flat();

describe('the verify report schema', () => {
  it('is committed as generated (npm run schema)', () => {
    expect(committed).toEqual(verifyDocumentJsonSchema());
    expect(committed.$id).toBe(REPORT_SCHEMA);
  });

  it('covers modules and components from the corpus', () => {
    expect(documents.length).toBeGreaterThan(20);
    expect(new Set(documents.map(([, d]) => d.kind))).toEqual(new Set(['module', 'component']));
  });

  const validate = new Ajv2020({ allErrors: true, strict: true }).compile(committed);

  it.each(documents)('%s: the document matches the committed JSON Schema (ajv) and the zod schema', (_, doc) => {
    const json = JSON.parse(JSON.stringify(doc));
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(verifyDocumentSchema.safeParse(json).success).toBe(true);
  });

  it('rejects a document with an unknown field, a wrong enum value or a missing section', () => {
    const [, doc] = documents[0];
    const json = JSON.parse(JSON.stringify(doc));
    expect(validate({ ...json, extra: 1 })).toBe(false);
    expect(validate({ ...json, wasi: { ...json.wasi, version: 'preview9' } })).toBe(false);
    const { runtimes: _, ...noRuntimes } = json;
    expect(validate(noRuntimes)).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ keyword: 'required', params: { missingProperty: 'runtimes' } });
  });
});
