import { readFileSync, statSync } from 'node:fs';
import { UserError } from '@wasm-build/kit';
import { buildReport, decodeModule, parseErrorFix, type VerifyReport, WasmParseError } from '@wasm-build/wasm';

/**
 * Decodes a module and reports on it, turning decoder errors into a user error naming the file.
 * @throws UserError "PATH is not a valid WebAssembly module: …" with the byte offset and the fix.
 */
export function verifyBytes(bytes: Uint8Array, path: string): VerifyReport {
  return asUserError(path, () => buildReport(decodeModule(bytes)));
}

/**
 * Runs `f`, turning a decoder error into the user error `verifyBytes` throws (sync or async `f`).
 * @throws UserError "PATH is not a valid WebAssembly module: …" with the byte offset and the fix.
 */
export function asUserError<T>(path: string, f: () => T): T {
  const wrap = (e: unknown): never => {
    if (e instanceof WasmParseError) {
      throw new UserError(`${path} is not a valid WebAssembly module: ${e.message}`, {
        fix: parseErrorFix(e),
        cause: e,
      });
    }
    throw e;
  };
  try {
    const r = f();
    return (r instanceof Promise ? r.catch(wrap) : r) as T;
  } catch (e) {
    return wrap(e);
  }
}

/**
 * Reads a module file for verify, image or smoke-test.
 * @throws UserError `Module not found: "PATH"` with `fix` when there is no such file, and `… is a directory, not a
 *   module file` (or another kind of file) when it is not a regular file.
 */
export function readModule(path: string, fix = 'Pass the wasm-path output of the build action'): Buffer {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new UserError(`Module not found: "${path}"`, { fix });
  if (!st.isFile()) {
    const what = st.isDirectory() ? 'a directory' : 'not a regular file';
    throw new UserError(`"${path}" is ${what}, not a module file`, {
      fix: `${fix} (the .wasm file itself, e.g. target/wasm32-wasip1/release/NAME.wasm)`,
    });
  }
  return readFileSync(path);
}
