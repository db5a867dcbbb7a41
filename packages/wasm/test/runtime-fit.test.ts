import { describe, expect, it } from 'vitest';
import { corpusFile } from '../../../test/helpers/corpus.ts';
import { buildReport, decodeModule, runtimeFit } from '../src/index.ts';

const fit = (file: string) =>
  Object.fromEntries(
    runtimeFit(buildReport(decodeModule(corpusFile(file)))).map((f) => [f.runtime, [f.status, ...f.flags]]),
  );

describe('runtimeFit', () => {
  it('a plain preview1 module runs everywhere', () => {
    expect(fit('binaries/wasi-testsuite_as_fd_write-to-stdout.wasm')).toEqual({
      wasmedge: ['runs'],
      'crun-wasmedge': ['runs'],
      wasmtime: ['runs'],
      node: ['runs'],
    });
  });

  it('a wasi-threads module runs only under wasmtime with threads flags', () => {
    expect(fit('binaries/wasi-testsuite_wasi_threads_spawn.wasm')).toEqual({
      wasmedge: ['cannot'],
      'crun-wasmedge': ['cannot'],
      wasmtime: ['needs-flag', '-W', 'threads=y', '-S', 'threads=y'],
      node: ['cannot'],
    });
  });

  it('shared memory without thread-spawn: WasmEdge needs --enable-threads, crun cannot', () => {
    expect(fit('binaries/binaryen_atomics_target_feature.wasm')).toEqual({
      wasmedge: ['needs-flag', '--enable-threads'],
      'crun-wasmedge': ['cannot'],
      wasmtime: ['needs-flag', '-W', 'threads=y'],
      node: ['needs-flag', '--no-liftoff'],
    });
  });

  it('says why crun cannot, and names its source', () => {
    const crun = runtimeFit(
      buildReport(decodeModule(corpusFile('binaries/binaryen_atomics_target_feature.wasm'))),
    ).find((f) => f.runtime === 'crun-wasmedge')!;
    expect(crun.reason).toContain('malformed limits flags');
    expect(crun.source).toContain('containers/crun');
  });

  it('components run only under wasmtime', () => {
    expect(fit('binaries/wasi-testsuite_rust_wasip3_cli-exit.component.wasm')).toEqual({
      wasmedge: ['cannot'],
      'crun-wasmedge': ['cannot'],
      wasmtime: ['runs'],
      node: ['cannot'],
    });
  });
});
