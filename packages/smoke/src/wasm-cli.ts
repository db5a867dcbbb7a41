import type { Command } from '@wasm-build/kit';

/** What a wasm CLI runtime runs: the module file, its args after argv[0], env, flags from runtime fit, a preopen. */
export interface WasmRun {
  module: string;
  args: string[];
  /** `KEY=value` pairs: the image's Env, then the expectations' env. */
  env: string[];
  /** Flags runtime fit asked for, e.g. `--enable-threads`, `-W threads=y`. */
  flags: string[];
  /** A host directory to preopen, and its path in the guest. */
  preopen?: { host: string; guest: string };
}

/**
 * `wasmedge [flags] [--env K=V]… [--dir GUEST:HOST] MODULE ARGS…`, with LD_LIBRARY_PATH set to WasmEdge's lib dir
 * when it came from a release archive.
 * Source: WasmEdge docs, "wasmedge run" CLI options (--env, --dir guest:host, --enable-threads).
 */
export function wasmedgeCommand(wasmedge: string, r: WasmRun, libDir?: string): Command {
  const args = [...r.flags, ...r.env.flatMap((e) => ['--env', e])];
  if (r.preopen) args.push('--dir', `${r.preopen.guest}:${r.preopen.host}`);
  args.push(r.module, ...r.args);
  return { command: wasmedge, args, ...(libDir ? { env: { LD_LIBRARY_PATH: libDir } } : {}) };
}

/**
 * `wasmtime run [flags] [--env K=V]… [--dir HOST::GUEST] MODULE ARGS…`; runtime fit gives `-W threads=y -S threads=y`
 * for wasi-threads.
 * Source: wasmtime docs, "wasmtime run" (-W, -S, --env, --dir HOST::GUEST).
 */
export function wasmtimeCommand(wasmtime: string, r: WasmRun): Command {
  const args = ['run', ...r.flags, ...r.env.flatMap((e) => ['--env', e])];
  if (r.preopen) args.push('--dir', `${r.preopen.host}::${r.preopen.guest}`);
  args.push(r.module, ...r.args);
  return { command: wasmtime, args };
}
