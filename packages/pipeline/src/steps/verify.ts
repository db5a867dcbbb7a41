import { UserError } from '@wasm-build/kit/errors';
import type { Log } from '@wasm-build/kit/log';
import { type CheckOptions, type CheckResult, type VerifyDocument, verifyBinary } from '@wasm-build/wasm';
import { asUserError } from '../verify-bytes.ts';

/**
 * Verifies a module: decode, feature report, validation by the engine (V8), checks, runtime fit (`verifyBinary`).
 * Does not fail on a failed check or an invalid module: call `enforceChecks` after reporting the document.
 * @throws UserError when our decoder cannot read the bytes, naming the file, the offset and the fix.
 */
export async function verifyModule(wasm: Uint8Array, path: string, checks: CheckOptions): Promise<VerifyDocument> {
  return asUserError(path, () => verifyBinary(wasm, checks, path));
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
