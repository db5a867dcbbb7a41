// The WebAssembly scanner's plumbing: scan-wasm.ts is what wat2wasm makes of scan.wat, module buffers are where the
// scanner reads, and bytes anywhere else never reach it. Its verdicts and counts are checked against the JavaScript
// fast path and the exact decoder in code.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeLargeModule } from '../../../bench/make-module.ts';
import { HAVE, requireTools } from '../../../test/helpers/tools.ts';
import { moduleBuffer, wasmScanner } from '../src/code-wasm.ts';
import { decodeModule } from '../src/index.ts';
import { scanWasmSource } from '../src/scan-build.ts';
import { SCAN_WASM } from '../src/scan-wasm.ts';

// Without wat2wasm the embedded bytes could drift from scan.wat unseen: the skip says so (CI installs wabt).
const hasWat2wasm = requireTools('scan-wasm.ts against scan.wat', { 'wat2wasm (apt wabt)': HAVE.wat2wasm });

describe('the WebAssembly scanner', () => {
  it.skipIf(!hasWat2wasm)('is built from scan.wat as it is (npx tsx packages/wasm/src/scan-build.ts)', () => {
    const file = readFileSync(join(import.meta.dirname, '..', 'src', 'scan-wasm.ts'), 'utf8');
    expect(scanWasmSource()).toBe(file);
    expect(file).toContain(SCAN_WASM.slice(0, 100));
  });

  it('reads only module buffers, with room after the bytes', () => {
    const bytes = makeLargeModule(10 * 1569);
    const view = moduleBuffer(bytes.length) as Uint8Array;
    expect(view.length).toBe(bytes.length);
    expect(view.every((b) => b === 0)).toBe(true);
    view.set(bytes);
    expect(wasmScanner(view)).toBeDefined();
    expect(wasmScanner(view.subarray(100, 200))).toBeDefined();
    expect(wasmScanner(bytes)).toBeUndefined();
    expect(wasmScanner(Uint8Array.from(view))).toBeUndefined();
    // V8 validates the same bytes where they lie.
    expect(WebAssembly.validate(view as Uint8Array<ArrayBuffer>)).toBe(true);
  });

  it('decodes a module of 2500 bodies (several calls of 1024 entries) as a plain buffer does', () => {
    const bytes = makeLargeModule(2500 * 1569);
    const view = moduleBuffer(bytes.length) as Uint8Array;
    view.set(bytes);
    const info = decodeModule(view);
    expect(info).toEqual(decodeModule(bytes));
    expect(info.kind === 'module' && info.instructions.total).toBe(2500 * 683);
  });

  it('declines sizes it cannot hold, so callers fall back to a plain buffer', () => {
    expect(moduleBuffer(-1)).toBeUndefined();
    expect(moduleBuffer(2 ** 30 + 1)).toBeUndefined();
    expect(moduleBuffer(0)?.length).toBe(0);
  });
});
