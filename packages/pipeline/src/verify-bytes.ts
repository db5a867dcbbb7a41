import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '@wasm-build/kit';
import { buildReport, decodeModule, parseErrorFix, type VerifyReport, WasmParseError } from '@wasm-build/wasm';

/**
 * Decodes a module and reports on it, turning decoder errors into a user error naming the file.
 * @throws UserError "PATH is not a valid WebAssembly module: …" with the byte offset and the fix.
 */
export function verifyBytes(bytes: Uint8Array, path: string): VerifyReport {
  try {
    return buildReport(decodeModule(bytes));
  } catch (e) {
    if (e instanceof WasmParseError) {
      throw new UserError(`${path} is not a valid WebAssembly module: ${e.message}`, {
        fix: parseErrorFix(e),
        cause: e,
      });
    }
    throw e;
  }
}

/**
 * Reads a module file for verify, image or smoke-test.
 * @throws UserError `Module not found: "PATH"` with `fix`, when there is no such file.
 */
export function readModule(path: string, fix = 'Pass the wasm-path output of the build action'): Buffer {
  if (!existsSync(path)) throw new UserError(`Module not found: "${path}"`, { fix });
  return readFileSync(path);
}
