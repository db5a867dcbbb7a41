import { dirname } from 'node:path';
import type { Log } from '@wasm-build/kit';
import {
  type BinaryenRelease,
  ensureTarget,
  ensureToolchain,
  findToolchainFile,
  installBinaryen,
  type Toolchain,
  type WasiTarget,
} from '@wasm-build/toolchain';
import type { StepOutcome } from './outcome.ts';

export interface SetupOptions {
  /** Absolute Cargo.toml path: where a rust-toolchain.toml is looked for when no toolchain is given. */
  manifestPath: string;
  toolchain?: string;
  target?: WasiTarget;
  threads: boolean;
  /** Install binaryen from its release (tool cache) when set; otherwise wasm-opt comes from PATH or an option. */
  binaryen?: BinaryenRelease;
}

export interface SetupResult {
  tc: Toolchain;
  target: WasiTarget;
  /** The rust-toolchain file the toolchain came from, when it did. */
  toolchainFile?: string;
  /** Path of the installed wasm-opt, when binaryen was installed. */
  wasmOpt?: string;
  /** True when binaryen came from the tool cache without a download. */
  binaryenCached?: boolean;
}

/**
 * The setup step: the Rust toolchain (the given one, else the crate's rust-toolchain file, else PATH; a missing
 * rustup toolchain is installed), the WASI target's std, and binaryen when asked.
 * @throws UserError from ensureToolchain, ensureTarget, installBinaryen.
 */
export async function setupStep(o: SetupOptions, log: Log): Promise<StepOutcome<SetupResult>> {
  const file = o.toolchain ? undefined : findToolchainFile(dirname(o.manifestPath));
  if (file) log.info(`Toolchain ${file.channel} from ${file.path}`);
  const tc = await ensureToolchain(o.toolchain ?? file?.channel, log);
  const target = await ensureTarget(tc, { threads: o.threads, target: o.target }, log);
  const bin = o.binaryen ? await installBinaryen(o.binaryen, log) : undefined;
  const v = tc.version;
  return {
    value: { tc, target, toolchainFile: file?.path, wasmOpt: bin?.wasmOpt, binaryenCached: bin?.cached },
    detail:
      `rustc ${v.major}.${v.minor}.${v.patch} (${tc.spec ?? 'PATH'}), ${target}` +
      (bin ? `, binaryen ${o.binaryen?.version}${bin.cached ? ' (cached)' : ''}` : ''),
  };
}
