// Validity by a complete validator: the WebAssembly engine of the Node running us (V8), which validates every
// function body (types, indices, alignment, constant expressions) as the core spec's §3 requires. Our decoder only
// checks what it needs to count (light validation); V8 decides "valid". See README "Runtime fit and validity".
import * as detect from 'wasm-feature-detect';
import type { Feature, VerifyReport } from './report.ts';

/** What the engine validating here enables, by the names of our features (plus extended-const, which we do not report). */
export type EngineFeatures = Record<Feature | 'extended-const', boolean>;

/** The engine that validates, with what it enables. */
export interface Engine {
  /** e.g. "V8 11.3.244.8-node.33 (Node v20.20.2)". */
  name: string;
  /** Node's version, e.g. "v20.20.2". */
  node: string;
  features: EngineFeatures;
}

/**
 * Whether a complete validator accepts the module. `unknown`: the engine rejected it, but the module uses a proposal
 * the engine does not enable, so the rejection says nothing about the module itself.
 */
export interface Validity {
  status: 'valid' | 'invalid' | 'unknown';
  /** The validator, e.g. "V8 11.3.244.8-node.33 (Node v20.20.2)". */
  validator: string;
  /** The validator's own message, e.g. "WebAssembly.Module(): out of bounds table index 0 @+196". */
  message?: string;
  /** Byte offset the validator names (V8's `@+N`). */
  offset?: number;
  /** For `unknown`: the proposals the engine lacks that the module uses. */
  missing?: string[];
}

let cached: Promise<Engine> | undefined;

/**
 * Detects which proposals this process's engine enables, once per process (wasm-feature-detect: each probe is a
 * tiny module given to `WebAssembly.validate`). Source: GoogleChromeLabs/wasm-feature-detect.
 */
export function detectEngine(): Promise<Engine> {
  cached ??= (async () => {
    const [
      threads,
      simd,
      relaxedSimd,
      bulkMemory,
      signExt,
      satConv,
      refTypes,
      multiValue,
      mutGlobals,
      tailCall,
      exceptions,
      exceptionsFinal,
      gc,
      multiMemory,
      memory64,
      extendedConst,
    ] = await Promise.all([
      detect.threads(),
      detect.simd(),
      detect.relaxedSimd(),
      detect.bulkMemory(),
      detect.signExtensions(),
      detect.saturatedFloatToInt(),
      detect.referenceTypes(),
      detect.multiValue(),
      detect.mutableGlobals(),
      detect.tailCall(),
      detect.exceptions(),
      detect.exceptionsFinal(),
      detect.gc(),
      detect.multiMemory(),
      detect.memory64(),
      detect.extendedConst(),
    ]);
    const features: EngineFeatures = {
      threads,
      'shared-memory': threads,
      atomics: threads,
      simd,
      'relaxed-simd': relaxedSimd,
      'bulk-memory': bulkMemory,
      'sign-ext': signExt,
      'nontrapping-float-to-int': satConv,
      'reference-types': refTypes,
      multivalue: multiValue,
      'mutable-globals': mutGlobals,
      'tail-call': tailCall,
      // Both forms: the legacy try/catch and the standardised try_table/exnref; our report does not split them.
      'exception-handling': exceptions && exceptionsFinal,
      gc,
      multimemory: multiMemory,
      memory64,
      'extended-const': extendedConst,
    };
    return { name: `V8 ${process.versions.v8} (Node ${process.version})`, node: process.version, features };
  })();
  return cached;
}

// V8 names a proposal it has not enabled in some messages; extended constant expressions it reports as a plain
// "not allowed in constant expressions" (seen on Node 20.20: `opcode i32.add is not allowed in constant expressions`).
const DISABLED_PROPOSAL = /enable with --experimental-wasm-([\w-]+)/;
const EXTENDED_CONST = /opcode i(32|64)\.(add|sub|mul) is not allowed in constant expressions/;

/**
 * Validates a core module with the engine: `WebAssembly.validate`, then `new WebAssembly.Module` for the message
 * when it fails. Pure computation (no I/O); the bytes are not instantiated.
 * @param report our decoder's report of the same bytes, for the proposals it uses
 * @returns `valid`; `invalid` with V8's message and offset; or `unknown` when V8's rejection may come from a proposal
 *   it does not enable (the module uses it, or V8's message names it).
 * Source: WebAssembly JS API §4.1 (`validate`, `Module` constructor: CompileError); Core spec §3 (validation).
 */
export async function validateModule(bytes: Uint8Array, report: VerifyReport): Promise<Validity> {
  const engine = await detectEngine();
  if (report.kind === 'component') {
    return { status: 'unknown', validator: engine.name, missing: ['component-model'] };
  }
  if (WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) return { status: 'valid', validator: engine.name };
  let message = 'rejected by WebAssembly.validate';
  try {
    new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    message = e instanceof Error ? e.message : String(e);
  }
  const at = /@\+(\d+)\s*$/.exec(message);
  const offset = at ? Number(at[1]) : undefined;
  const missing: string[] = (Object.keys(report.features) as Feature[]).filter(
    (f) => report.features[f].used === true && !engine.features[f],
  );
  const named = DISABLED_PROPOSAL.exec(message)?.[1];
  if (named) missing.push(named);
  if (!engine.features['extended-const'] && EXTENDED_CONST.test(message)) missing.push('extended-const');
  const base = { validator: engine.name, message, ...(offset !== undefined ? { offset } : {}) };
  return missing.length
    ? { status: 'unknown', ...base, missing: [...new Set(missing)] }
    : { status: 'invalid', ...base };
}
