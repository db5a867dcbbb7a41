// The smoke test under the real runtimes, each where it is on PATH (GitHub's runners in e2e.yml); here each prints
// what is missing. The module writes to stdout through WASI fd_write (AssemblyScript, from wasi-testsuite).
import { memoryLog } from '@wasm-build/kit';
import { buildImage, builtToRunnable } from '@wasm-build/oci';
import { machineTools } from '@wasm-build/pipeline';
import { smokeImage } from '@wasm-build/smoke';
import { type Runtime, verifyBinary } from '@wasm-build/wasm';
import { describe, expect, it } from 'vitest';
import { corpusFile } from './helpers/corpus.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const cases: [Runtime, boolean][] = [
  [
    'wasmedge',
    requireTools('smoke test under WasmEdge; e2e.yml runs it through the root action', {
      'wasmedge on PATH': HAVE.wasmedge,
    }),
  ],
  [
    'wasmtime',
    requireTools('smoke test under wasmtime; e2e.yml runs it through the root action', {
      'wasmtime on PATH': HAVE.wasmtime,
    }),
  ],
  [
    'crun-wasmedge',
    requireTools('smoke test under crun + WasmEdge; e2e.yml runs it through the root action', {
      'a crun whose --version shows +WASM:wasmedge': HAVE.crunWasm,
    }),
  ],
];

describe('the real runtimes', () => {
  for (const [runtime, ok] of cases)
    it.runIf(ok)(`${runtime} runs the image and passes`, async () => {
      const wasm = corpusFile('binaries/wasi-testsuite_as_fd_write-to-stdout.wasm');
      const image = builtToRunnable(await buildImage({ wasm, name: 'fdwrite' }));
      const [r] = await smokeImage(
        {
          image,
          report: await verifyBinary(wasm),
          runtimes: [runtime],
          expectations: { timeoutMs: 60_000 },
          tools: machineTools({ install: false }, memoryLog()),
        },
        memoryLog(),
      );
      expect(r, JSON.stringify(r)).toMatchObject({ runtime, status: 'pass', exitCode: 0 });
      expect(r.stdout.length).toBeGreaterThan(0);
    });
});
