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
  // Our decoder, then V8's validation, one after the other on this thread. V8's WebAssembly.validate already spreads
  // the bodies over its worker threads (a platform job the caller joins), so the cores are busy while it runs;
  // running our decoder beside it needs the bytes in a second isolate, and that copy plus a Worker's start cost more
  // than the overlap saves (measured for issue 15 on a 50 MB module, 2 cores: copy 150-350 ms, mostly page faults on
  // fresh memory; Worker start 45-65 ms; the overlap could save at most ~30 ms).
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
