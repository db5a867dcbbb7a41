import { type CheckOptions, runChecks } from './checks.ts';
import { decodeModule } from './decode.ts';
import { buildReport } from './report.ts';
import { type VerifyDocument, verifyDocument } from './report-schema.ts';
import { runtimeFit } from './runtime-fit.ts';
import { detectEngine, validateModule } from './validate.ts';

/**
 * Verify in one call: decode, feature report, validation by the engine (V8), checks, runtime fit. An invalid module
 * gets a failed `valid` check first (no runtime will load it) and `invalid` on every runtime. Pure computation.
 * @param name how the module is named in the `valid` check's message (a path)
 * @throws WasmParseError when our decoder cannot read the bytes (malformed, or a rule it checks itself).
 */
export async function verifyBinary(
  bytes: Uint8Array,
  checks: CheckOptions = {},
  name = 'The module',
): Promise<VerifyDocument> {
  const report = buildReport(decodeModule(bytes));
  const [validity, engine] = await Promise.all([validateModule(bytes, report), detectEngine()]);
  const results = runChecks(report, checks);
  if (validity.status === 'invalid') {
    results.unshift({
      name: 'valid',
      status: 'fail',
      message:
        `${name} is not valid WebAssembly (${validity.validator}): ${validity.message}. No runtime will load it. ` +
        'Rebuild it; if a tool after the compiler wrote it (wasm-opt, wasm-snip, a custom step), report the offset to that tool.',
    });
  }
  return verifyDocument(report, validity, results, runtimeFit(report, validity, engine));
}
