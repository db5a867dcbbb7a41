import { UserError } from '@wasm-build/kit/errors';

/** A rustc version, e.g. 1.63.0 → { major: 1, minor: 63, patch: 0 }. */
export interface RustVersion {
  major: number;
  minor: number;
  patch: number;
}

/** WASI target triples this project builds for, old names included. */
export const WASI_TARGETS = [
  'wasm32-wasip1',
  'wasm32-wasip1-threads',
  'wasm32-wasi',
  'wasm32-wasi-preview1-threads',
  'wasm32-wasip2',
  'wasm32-unknown-unknown',
] as const;
export type WasiTarget = (typeof WASI_TARGETS)[number];

/** True for the targets whose std is built with atomics and that link shared memory. */
export function isThreadsTarget(target: string): boolean {
  return target === 'wasm32-wasip1-threads' || target === 'wasm32-wasi-preview1-threads';
}

function atLeast(v: RustVersion, minor: number): boolean {
  return v.major > 1 || (v.major === 1 && v.minor >= minor);
}

/**
 * Picks the WASI target triple for a rustc version: `wasm32-wasip1` from 1.78 (`wasm32-wasi` before; removed in
 * 1.84); threads: `wasm32-wasip1-threads` from 1.78, `wasm32-wasi-preview1-threads` from 1.71.
 *
 * @throws UserError when the version has no WASI threads target (before 1.71), or an explicit target is unknown or
 *   removed in that version.
 * Source: rustc book, platform-support/wasm32-wasip1.md and wasm32-wasip1-threads.md; Rust blog "Changes to Rust's
 * WASI targets" (2024-04-09).
 */
export function resolveTarget(version: RustVersion, options: { threads?: boolean; target?: string } = {}): WasiTarget {
  const v = `${version.major}.${version.minor}.${version.patch}`;
  if (options.target) {
    const t = options.target as WasiTarget;
    if (!WASI_TARGETS.includes(t)) {
      throw new UserError(`Unknown target "${options.target}"`, { fix: `Use one of ${WASI_TARGETS.join(', ')}` });
    }
    if (t === 'wasm32-wasi' && atLeast(version, 84)) {
      throw new UserError(`Target "wasm32-wasi" was removed in Rust 1.84 (rustc ${v})`, { fix: 'Use wasm32-wasip1' });
    }
    if ((t === 'wasm32-wasip1' || t === 'wasm32-wasip1-threads') && !atLeast(version, 78)) {
      const old = t === 'wasm32-wasip1' ? 'wasm32-wasi' : 'wasm32-wasi-preview1-threads';
      throw new UserError(`Target "${t}" needs Rust 1.78 or later (rustc ${v})`, {
        fix: `Use ${old}, or a newer toolchain`,
      });
    }
    if (options.threads && !isThreadsTarget(t)) {
      throw new UserError(`threads is set but target "${t}" has no threads`, {
        fix: 'Use wasm32-wasip1-threads, or unset threads',
      });
    }
    return t;
  }
  if (options.threads) {
    if (atLeast(version, 78)) return 'wasm32-wasip1-threads';
    if (atLeast(version, 71)) return 'wasm32-wasi-preview1-threads';
    throw new UserError(`Rust ${v} has no WASI threads target (added in 1.71)`, {
      fix: 'Use a toolchain of 1.78 or later (toolchain: stable)',
    });
  }
  return atLeast(version, 78) ? 'wasm32-wasip1' : 'wasm32-wasi';
}
