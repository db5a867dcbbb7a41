// The options of `wasm-build verify` checked without zod: `wasm-build verify` loads neither zod nor the pipeline's
// option schemas (options.ts, and with them the RE2 engine and the toolchain's modules), which cost the CLI about
// 7 MiB of peak RSS and start-up time. The checks and their messages are verifySchema's (options.ts, which the
// verify action parses with); test/verify-options.test.ts compares the two on every kind of value the CLI can pass.
import { pathProblem } from '@wasm-build/kit/inputs';
import { WASI_TARGETS, type WasiTarget } from '@wasm-build/toolchain/targets';
import { FEATURES, type Feature } from '@wasm-build/wasm/report';

/** Largest max-size, bytes: 4 GiB, the most a Node Buffer (and so the module reader) holds. */
export const MAX_SIZE_LIMIT = 2 ** 32;

/** verify's options as the CLI reads them (kit's `convertInput`): lists of words, a whole number, strings. */
export interface VerifyRaw {
  require?: string[];
  forbid?: string[];
  /** Bytes; a whole number of at most 15 digits, as `convertInput` reads a number. */
  maxSize?: number;
  target?: string;
  entrypoint?: string;
}

/** verify's options once checked: verifySchema's output (options.ts). */
export interface CheckedVerifyOptions {
  require: Feature[];
  forbid: Feature[];
  maxSize?: number;
  target?: WasiTarget;
  entrypoint?: string;
}

/** What is wrong with one value: where (the option's key, then an index into a list) and why, as zod words it. */
export interface OptionIssue {
  path: (string | number)[];
  message: string;
}

/** zod 4's message for a value outside an enum, e.g. `Invalid option: expected one of "a"|"b"`. */
const notOneOf = (values: readonly string[]) =>
  `Invalid option: expected one of ${values.map((v) => JSON.stringify(v)).join('|')}`;

/**
 * Checks verify's options as options.ts's verifySchema does (zod 4), in its order (require, forbid, max-size, target,
 * entrypoint), for the values the CLI passes (`VerifyRaw`): features from FEATURES, max-size 1 byte to
 * MAX_SIZE_LIMIT, target from WASI_TARGETS, entrypoint a usable path (kit's `pathProblem`) that is absolute.
 * @returns the options with the lists defaulted to `[]`, or every issue in verifySchema's order (the CLI names the
 *   first); the messages are zod's, so the CLI's errors are the same with either.
 */
export function checkVerifyOptions(
  raw: VerifyRaw,
): { success: true; data: CheckedVerifyOptions } | { success: false; issues: OptionIssue[] } {
  const issues: OptionIssue[] = [];
  const features = (key: 'require' | 'forbid') => {
    const list = raw[key] ?? [];
    list.forEach((f, i) => {
      if (!(FEATURES as readonly string[]).includes(f)) issues.push({ path: [key, i], message: notOneOf(FEATURES) });
    });
    return list as Feature[];
  };
  const require = features('require');
  const forbid = features('forbid');
  const { maxSize, target, entrypoint } = raw;
  if (maxSize !== undefined) {
    const at = ['maxSize'];
    if (!Number.isInteger(maxSize)) issues.push({ path: at, message: 'Invalid input: expected int, received number' });
    else if (maxSize <= 0) issues.push({ path: at, message: 'Too small: expected number to be >0' });
    else if (maxSize > MAX_SIZE_LIMIT)
      issues.push({ path: at, message: `expected at most ${MAX_SIZE_LIMIT} bytes (4 GiB)` });
  }
  if (target !== undefined && !(WASI_TARGETS as readonly string[]).includes(target))
    issues.push({ path: ['target'], message: notOneOf(WASI_TARGETS) });
  if (entrypoint !== undefined) {
    const at = ['entrypoint'];
    if (entrypoint.length < 1) issues.push({ path: at, message: 'Too small: expected string to have >=1 characters' });
    const problem = pathProblem(entrypoint);
    if (problem) issues.push({ path: at, message: problem });
    if (!/^\/\S+$/.test(entrypoint)) issues.push({ path: at, message: 'expected an absolute path such as /app.wasm' });
  }
  if (issues.length) return { success: false, issues };
  return {
    success: true,
    data: {
      require,
      forbid,
      ...(maxSize !== undefined && { maxSize }),
      ...(target !== undefined && { target: target as WasiTarget }),
      ...(entrypoint !== undefined && { entrypoint }),
    },
  };
}
