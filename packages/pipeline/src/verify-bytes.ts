import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { UserError } from '@wasm-build/kit/errors';
import {
  buildReport,
  decodeModule,
  moduleBuffer,
  parseErrorFix,
  type VerifyReport,
  WasmParseError,
} from '@wasm-build/wasm';

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

/** The fix for a module path that names no module file, in the actions: where the path comes from. */
export const MODULE_PATH_FIX = 'Pass the wasm-path output of the build action';

/**
 * Reads a module file for verify, image or smoke-test.
 * @throws UserError `Module not found: "PATH"` with `fix` when there is no such file, and `… is a directory, not a
 *   module file` (or another kind of file) when it is not a regular file.
 */
export function readModule(path: string, fix = MODULE_PATH_FIX): Buffer {
  const size = moduleFileSize(path, fix);
  return readInto(path, size) ?? readFileSync(path);
}

/**
 * The size of a module file, bytes, once it is known to be one.
 * @throws UserError as `readModule` does: no such file, or not a regular file
 */
export function moduleFileSize(path: string, fix: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new UserError(`Module not found: "${path}"`, { fix });
  if (!st.isFile()) {
    const what = st.isDirectory() ? 'a directory' : 'not a regular file';
    throw new UserError(`"${path}" is ${what}, not a module file`, {
      fix: `${fix} (the .wasm file itself, e.g. target/wasm32-wasip1/release/NAME.wasm)`,
    });
  }
  return st.size;
}

/**
 * Reads the file into a module buffer (`moduleBuffer`: the memory our fast decoder scans in place, and that V8
 * validates as it is), so verify holds the module once and copies it nowhere. Undefined when no such buffer can be had
 * for this size, or the file's size changed while it was read: the caller then reads it the usual way.
 */
function readInto(path: string, size: number): Buffer | undefined {
  const view = moduleBuffer(size);
  if (!view) return undefined;
  const fd = openSync(path, 'r');
  let done = 0;
  try {
    for (let n = 1; done < size && n > 0; done += n) n = readSync(fd, view, done, size - done, done);
    if (done !== size || readSync(fd, new Uint8Array(1), 0, 1, size) !== 0) return undefined;
  } finally {
    closeSync(fd);
  }
  return Buffer.from(view.buffer, view.byteOffset, size);
}
