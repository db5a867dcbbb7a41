// Writes schemas/verify-report.v1.json from the zod schema in packages/wasm/src/report-schema.ts (`npm run schema`).
// packages/wasm/test/report-schema.test.ts fails when the committed file differs from what this writes.
import { writeFileSync } from 'node:fs';
import { verifyDocumentJsonSchema } from '@wasm-build/wasm';

writeFileSync(
  new URL('../schemas/verify-report.v1.json', import.meta.url),
  `${JSON.stringify(verifyDocumentJsonSchema(), null, 2)}\n`,
);
