import { type Log, UserError } from '@wasm-build/kit';
import {
  type CheckOptions,
  type CheckResult,
  runChecks,
  runtimeFit,
  type VerifyDocument,
  verifyDocument,
} from '@wasm-build/wasm';
import { verifyBytes } from '../verify-bytes.ts';

/**
 * Verifies a module: decode, feature report, checks, runtime fit. Does not fail on a failed check: call
 * `enforceChecks` after reporting the document.
 * @throws UserError when the bytes are not a valid module (from verifyBytes).
 */
export function verifyModule(wasm: Uint8Array, path: string, checks: CheckOptions): VerifyDocument {
  const report = verifyBytes(wasm, path);
  return verifyDocument(report, runChecks(report, checks), runtimeFit(report));
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
  const used = Object.entries(doc.features)
    .filter(([, u]) => u.used)
    .map(([f]) => f);
  return `${doc.wasi.version}; uses ${used.join(', ') || 'no proposals'}; ${doc.atomics.total} atomics`;
}
