import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusFile } from '../../../test/helpers/corpus.ts';
import { type Runtime, type RuntimeFit, verifyBinary } from '../src/index.ts';

// Built from the .wat beside them by test/fixtures/fit/build.sh (wat2wasm --enable-threads).
const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/fit/${name}.wasm`, import.meta.url));

async function fitOf(bytes: Uint8Array): Promise<Record<Runtime, RuntimeFit>> {
  const doc = await verifyBinary(bytes);
  return Object.fromEntries(doc.runtimes.map((f) => [f.runtime, f])) as Record<Runtime, RuntimeFit>;
}
const brief = (fits: Record<Runtime, RuntimeFit>) =>
  Object.fromEntries(Object.entries(fits).map(([k, f]) => [k, [f.status, ...f.flags]]));

describe('runtimeFit', () => {
  it('a sign-ext module runs under crun-wasmedge (WasmEdge defaults enable sign-ext)', async () => {
    const f = await fitOf(fixture('sign-ext'));
    expect(brief(f)).toEqual({ wasmedge: ['runs'], 'crun-wasmedge': ['runs'], wasmtime: ['runs'], node: ['runs'] });
    expect(f['crun-wasmedge'].source).toContain('containers/crun');
  });

  it('a wasm32-wasip1-threads-shaped module cannot run under WasmEdge or crun, naming the import', async () => {
    const f = await fitOf(fixture('threads-shaped'));
    expect(f.wasmedge.status).toBe('cannot');
    expect(f['crun-wasmedge'].status).toBe('cannot');
    for (const r of [f.wasmedge, f['crun-wasmedge']]) {
      expect(r.reason).toContain('imports env.memory (memory)');
      expect(r.reason).toContain('imports wasi.thread-spawn (func)');
      expect(r.reason).toContain('unknown import, Code: 0x302');
    }
    expect(f['crun-wasmedge'].reason).toContain('malformed limits flags');
    expect(f.node.status).toBe('cannot');
    expect(f.node.reason).toContain('Import #1 module="wasi"');
    expect(brief(f).wasmtime).toEqual(['needs-flag', '-W', 'threads=y', '-S', 'threads=y']);
  });

  it('a defined shared memory with _start needs --enable-threads under WasmEdge; crun cannot', async () => {
    const f = await fitOf(fixture('shared-start'));
    expect(brief(f)).toEqual({
      wasmedge: ['needs-flag', '--enable-threads'],
      'crun-wasmedge': ['cannot'],
      wasmtime: ['needs-flag', '-W', 'threads=y'],
      node: ['runs'],
    });
    expect(f['crun-wasmedge'].reason).toContain('"loading failed: malformed limits flags, Code: 0x11d"');
  });

  it('a module without _start cannot run anywhere, and says so', async () => {
    const f = await fitOf(corpusFile('binaries/binaryen_simd_target_feature.wasm'));
    expect(f.wasmedge.reason).toContain('A function name is required when reactor mode is enabled.');
    expect(f['crun-wasmedge'].reason).toContain('wasm function not found');
    expect(f.node.reason).toContain('no _start/_initialize export');
  });

  it('wasi_unstable imports are not preview1: unknown import everywhere', async () => {
    const doc = await verifyBinary(corpusFile('binaries/wamr_coremark_wasi.wasm'));
    expect(doc.wasi).toMatchObject({ preview1Imports: 0, version: 'unstable' });
    expect(doc.wasi.unstableImports).toBeGreaterThan(0);
    for (const r of doc.runtimes) {
      expect(r.status, r.runtime).toBe('cannot');
      expect(r.reason).toContain('wasi_unstable.fd_prestat_get');
    }
  });

  it('a module V8 rejects is invalid on every runtime, with the message and offset', async () => {
    // Decodes, but its element segment names table 0 of a module with no table (V8: "out of bounds table index").
    const doc = await verifyBinary(corpusFile('binaries/binaryen_bad-datacount.test.wasm')).catch((e) => e);
    if (doc instanceof Error) expect(doc.name).toBe('WasmParseError');
    else {
      expect(doc.validity.status).toBe('invalid');
      for (const r of doc.runtimes) expect(r.status).toBe('invalid');
      expect(doc.checks[0]).toMatchObject({ name: 'valid', status: 'fail' });
    }
  });

  it('a GC module V8 20 cannot validate is unknown, not invalid; still cannot without _start', async () => {
    const doc = await verifyBinary(corpusFile('binaries/binaryen_gc_target_feature.wasm'));
    expect(doc.features.gc.used).toBe(true);
    if (doc.validity.status !== 'valid') {
      expect(doc.validity.status).toBe('unknown');
      expect(doc.validity.missing).toContain('gc');
    }
    expect(doc.runtimes.find((r) => r.runtime === 'wasmedge')!.status).toBe('cannot');
  });

  it('components: cannot under WasmEdge, crun and Node, unknown under wasmtime (not validated); features unknown', async () => {
    const doc = await verifyBinary(corpusFile('binaries/wasi-testsuite_rust_wasip3_cli-exit.component.wasm'));
    expect(brief(Object.fromEntries(doc.runtimes.map((f) => [f.runtime, f])) as never)).toEqual({
      wasmedge: ['cannot'],
      'crun-wasmedge': ['cannot'],
      wasmtime: ['unknown'],
      node: ['cannot'],
    });
    expect(Object.values(doc.features).every((u) => u.used === 'unknown')).toBe(true);
    expect(doc.runtimes[0].reason).toContain('unknown binary version');
  });

  it('components: require, forbid and threads target fail as unprovable; max-size is answered', async () => {
    const doc = await verifyBinary(corpusFile('binaries/wasi-testsuite_rust_wasip3_cli-exit.component.wasm'), {
      forbid: ['simd'],
      require: ['threads'],
      threadsTarget: 'wasm32-wasip1-threads',
      maxSize: 10_000_000,
    });
    expect(doc.checks.map((c) => [c.name, c.status])).toEqual([
      ['require threads', 'fail'],
      ['threads target', 'fail'],
      ['forbid simd', 'fail'],
      ['max size', 'pass'],
    ]);
    expect(doc.checks[2].message).toContain('The "forbid simd" check cannot be proven on a component');
  });
});
