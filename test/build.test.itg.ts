// setup + build + optimize with the real Debian Rust 1.63 toolchain (wasm32-wasi) and binaryen's wasm-opt.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { memoryLog } from '@wasm-build/kit';
import { cargoBuild, ensureTarget, findToolchain, optimize } from '@wasm-build/toolchain';
import { buildReport, decodeModule } from '@wasm-build/wasm';
import { describe, expect, it } from 'vitest';
import { HAVE, requireTools } from './helpers/tools.ts';

const ROOT = resolve(import.meta.dirname, '..');
const rust = requireTools('cargo build tests', {
  'cargo +debian (apt rustc cargo libstd-rust-dev-wasm32 lld-14; rustup toolchain link debian /usr)': HAVE.debianRust,
});
const opt = requireTools('wasm-opt tests', {
  'wasm-opt (apt binaryen)': HAVE.wasmOpt,
  'wat2wasm (apt wabt)': HAVE.wat2wasm,
});

describe.runIf(rust)('setup and build with Debian Rust 1.63', () => {
  it('finds the linked toolchain, resolves wasm32-wasi by version, and sees its std installed', async () => {
    const tc = await findToolchain('debian');
    expect(tc.version).toMatchObject({ major: 1, minor: 63 });
    expect(await ensureTarget(tc, {}, memoryLog())).toBe('wasm32-wasi');
  });

  it('reaches the same toolchain as a directory (/usr) without rustup', async () => {
    const tc = await findToolchain('/usr');
    expect(tc.version.minor).toBe(63);
  });

  it('fails to add a target that a linked toolchain cannot get, naming toolchain, target and fix', async () => {
    const tc = await findToolchain('debian');
    await expect(ensureTarget(tc, { target: 'wasm32-wasip2' }, memoryLog())).rejects.toThrow(
      /The std for target wasm32-wasip2 is not installed in toolchain debian \(rustc 1\.63\.0/,
    );
  });

  it('builds examples/hello and takes the artifact from cargo messages', async () => {
    const tc = await findToolchain('debian');
    const r = await cargoBuild(tc, { manifestPath: join(ROOT, 'examples/hello'), target: 'wasm32-wasi' }, memoryLog());
    expect(r.name).toBe('hello');
    expect(r.wasmPath).toBe(join(ROOT, 'examples/hello/target/wasm32-wasi/release/hello.wasm'));
    expect(existsSync(r.wasmPath)).toBe(true);
  });

  it('passes compiler diagnostics through and fails with the error line', async () => {
    const tc = await findToolchain('debian');
    const log = memoryLog();
    const err = await cargoBuild(
      tc,
      { manifestPath: join(ROOT, 'test/fixtures/broken-crate'), target: 'wasm32-wasi' },
      log,
    ).catch((e) => e);
    expect(err.name).toBe('UserError');
    expect(err.message).toMatch(
      /cargo build failed for .*broken-crate\/Cargo.toml \(target wasm32-wasi, exit code 101\): error\[E0308\]: mismatched types/,
    );
    expect(log.lines.join('\n')).toContain('expected `u32`, found `&str`');
  });

  it('lists the bins when a crate builds several and none is chosen', async () => {
    const tc = await findToolchain('debian');
    await expect(
      cargoBuild(tc, { manifestPath: join(ROOT, 'test/fixtures/two-bins'), target: 'wasm32-wasi' }, memoryLog()),
    ).rejects.toThrow('The crate builds several .wasm binaries: one, two');
  });
});

describe.runIf(opt)('optimize with wasm-opt', () => {
  it('optimizes a threads module that has no target_features section (binaryen#5833)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opt-'));
    const input = join(dir, 'in.wasm');
    expect(
      spawnSync('wat2wasm', ['--enable-threads', join(ROOT, 'test/fixtures/shared-memory-ops.wat'), '-o', input])
        .status,
    ).toBe(0);
    const report = buildReport(decodeModule(readFileSync(input)));
    expect(report.targetFeatures).toBeNull();
    // Without the flags wasm-opt refuses: the reason this stage derives them.
    const bare = spawnSync('wasm-opt', [input, '-o', join(dir, 'bare.wasm'), '-Oz']);
    expect(bare.status).not.toBe(0);
    const r = await optimize(input, join(dir, 'out.wasm'), report, {}, memoryLog());
    expect(r.command.args).toContain('--enable-threads');
    const after = buildReport(decodeModule(readFileSync(r.outputPath)));
    expect(after.features['shared-memory'].used).toBe(true);
    expect(after.atomics.total).toBeGreaterThan(0);
    expect(r.bytesAfter).toBeGreaterThan(0);
  });

  it('reports a missing wasm-opt with how to install it', async () => {
    const report = buildReport(decodeModule(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])));
    await expect(
      optimize('/nonexistent.wasm', '/tmp/x.wasm', report, { path: '/nonexistent/wasm-opt' }, memoryLog()),
    ).rejects.toThrow(/Command not found: "\/nonexistent\/wasm-opt"/);
  });
});
