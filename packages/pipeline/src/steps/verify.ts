import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UserError } from '@wasm-build/kit/errors';
import type { Log } from '@wasm-build/kit/log';
import { type CheckOptions, type CheckResult, type VerifyDocument, verifyBinary, verifySource } from '@wasm-build/wasm';
import { asUserError, MODULE_PATH_FIX, moduleFileSize, readModule } from '../verify-bytes.ts';

// Below this size a module file is read whole: windows would save little, and the whole module is read once.
const WINDOWED_FROM = 16 * 1024 * 1024;

/**
 * Verifies a module: decode, feature report, validation by the engine (V8), checks, runtime fit (`verifyBinary`).
 * Does not fail on a failed check or an invalid module: call `enforceChecks` after reporting the document.
 * @throws UserError when our decoder cannot read the bytes, naming the file, the offset and the fix.
 */
export async function verifyModule(wasm: Uint8Array, path: string, checks: CheckOptions): Promise<VerifyDocument> {
  return asUserError(path, () => verifyBinary(wasm, checks, path));
}

/**
 * `verifyModule` for a module file, as `wasm-build verify FILE` runs it. A file of 16 MiB or more is first verified a
 * window of its code section at a time (`verifySource`), so it is never held whole (peak RSS well under twice the
 * file); when that cannot say "valid" (an invalid or malformed module, a component, a body larger than the window),
 * the file is read whole and verified as `verifyModule` does, for the whole module's messages and offsets.
 * @param fix the fix for a missing file or a path that is not a regular file
 * @throws UserError as `readModule` and `verifyModule` do
 */
export async function verifyModuleFile(
  path: string,
  checks: CheckOptions,
  fix = MODULE_PATH_FIX,
): Promise<VerifyDocument> {
  if (moduleFileSize(path, fix) >= WINDOWED_FROM) {
    const fd = openSync(path, 'r');
    try {
      const source = {
        size: fstatSync(fd).size,
        read: (into: Uint8Array, at: number) => readSync(fd, into, 0, into.length, at),
      };
      const doc = await verifySource(source, checks, path);
      if (doc) return doc;
    } finally {
      closeSync(fd);
    }
  }
  return verifyModule(readModule(path, fix), path, checks);
}

/**
 * Logs the warnings among `checks` and throws when any failed.
 * @throws UserError carrying every failed check's message (each has the evidence and the fix).
 */
export function enforceChecks(checks: CheckResult[], log: Log): void {
  for (const c of checks.filter((x) => x.status === 'warn')) log.warn(`${c.name}: ${c.message}`);
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length) throw new UserError(failed.map((c) => c.message).join(' '));
}

/** One line for the stage table: WASI version, features used, atomics. */
export function verifyDetail(doc: VerifyDocument): string {
  if (doc.kind === 'component') return 'component; features unknown (core modules not decoded)';
  const used = Object.entries(doc.features)
    .filter(([, u]) => u.used === true)
    .map(([f]) => f);
  return `${doc.wasi.version}; uses ${used.join(', ') || 'no proposals'}; ${doc.atomics.total} atomics; ${doc.validity.status}`;
}
