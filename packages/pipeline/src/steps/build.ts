import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Log } from '@wasm-build/kit';
import {
  type CargoBuildOptions,
  type CargoBuildResult,
  cargoBuild,
  type OptimizeResult,
  optimize,
  type Toolchain,
  type WasmOptOptions,
} from '@wasm-build/toolchain';
import { verifyBytes } from '../verify-bytes.ts';
import type { StepOutcome } from './outcome.ts';

/** The build step: `cargo build` for the target; the module found from cargo's JSON messages. */
export async function buildStep(tc: Toolchain, o: CargoBuildOptions, log: Log): Promise<StepOutcome<CargoBuildResult>> {
  const b = await cargoBuild(tc, o, log);
  return {
    value: b,
    detail: `${b.name}.wasm from ${b.packageId.split(' ')[0] || b.name}`,
    bytes: readFileSync(b.wasmPath).length,
  };
}

/**
 * The optimize step: wasm-opt from `input` to `output` with the feature flags the module needs; with `o` undefined
 * (optimize off) the module is copied unchanged. Sizes in bytes.
 * @throws UserError when the input is not valid wasm or wasm-opt fails.
 */
export async function optimizeStep(
  input: string,
  output: string,
  o: WasmOptOptions,
  log: Log,
): Promise<StepOutcome<OptimizeResult>> {
  mkdirSync(dirname(output), { recursive: true });
  const r = await optimize(input, output, verifyBytes(readFileSync(input), input), o, log);
  const pct = ((1 - r.bytesAfter / r.bytesBefore) * 100).toFixed(1);
  return { value: r, detail: `${r.version}: ${r.bytesBefore} → ${r.bytesAfter} bytes (−${pct}%)`, bytes: r.bytesAfter };
}

/** Copies the module unchanged when optimize is off. */
export function copyModule(input: string, output: string): void {
  mkdirSync(dirname(output), { recursive: true });
  copyFileSync(input, output);
}
