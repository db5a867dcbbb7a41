import { type CheckOptions, runChecks } from './checks.ts';
import { decodeModule } from './decode.ts';
import { buildReport, type VerifyReport } from './report.ts';
import type { VerifyDocument } from './report-schema.ts';
import { runtimeFit } from './runtime-fit.ts';
import { detectEngine, type Engine, type Validity, validateModule } from './validate.ts';
import { decodeValidateWindowed, type ModuleSource } from './windowed.ts';

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
  // Our decoder, then V8's validation, one after the other on this thread, on the same bytes (no copy). V8's
  // WebAssembly.validate already spreads the bodies over its worker threads (a platform job the caller joins), so the
  // cores are busy while it runs. Running our decoder beside it would need the bytes in a second isolate: a copy, or a
  // SharedArrayBuffer, which WebAssembly.validate copies itself (measured for issue 15 on a 50 MB module, 2 cores:
  // validate 75 ms on a Buffer, 230-310 ms on a SharedArrayBuffer view; a 50 MB copy 150-350 ms, mostly page faults
  // on fresh memory; Worker start 45-65 ms). So the decoder is made fast instead: for bytes in a module buffer
  // (moduleBuffer, as readModule reads files) the bodies are scanned by WebAssembly (code-wasm.ts) in place.
  const report = buildReport(decodeModule(bytes));
  const [validity, engine] = await Promise.all([validateModule(bytes, report), detectEngine()]);
  return verifyDocument(report, validity, engine, checks, name);
}

/**
 * `verifyBinary` for a module where it lies (a file), a window of its code section at a time
 * (`decodeValidateWindowed`), so the file is never held whole: for a large module that is valid.
 * @param source the module's bytes, read a range at a time
 * @param options `window`: the code section's bytes per window (default `defaultWindow`)
 * @returns what `verifyBinary` gives on the file's bytes; undefined when the module is not one this way can take
 *   (small, malformed, invalid, a component, a body larger than the window): call `verifyBinary` on the whole file
 * @throws only what `source.read` throws
 */
export async function verifySource(
  source: ModuleSource,
  checks: CheckOptions = {},
  name = 'The module',
  options: { window?: number } = {},
): Promise<VerifyDocument | undefined> {
  const info = decodeValidateWindowed(source, options);
  if (!info) return undefined;
  const engine = await detectEngine();
  return verifyDocument(buildReport(info), { status: 'valid', validator: engine.name }, engine, checks, name);
}

/** The document from the report and the validity: checks (a failed `valid` first when invalid) and runtime fit. */
function verifyDocument(
  report: VerifyReport,
  validity: Validity,
  engine: Engine,
  checks: CheckOptions,
  name: string,
): VerifyDocument {
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
  // The document as report-schema.ts's verifyDocument joins it, built here so verify does not load zod (the schema).
  return { ...report, validity, checks: results, runtimes: runtimeFit(report, validity, engine) };
}
