// End to end: each action's dist/index.cjs run as the runner runs it, with the real tools here (Debian cargo,
// wasm-opt, docker-registry, skopeo) and binaryen installed from a loopback server in the release layout.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseImageRef, RegistryClient } from '@wasm-build/oci';
import { stripAnsi } from '@wasm-build/toolchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileServer, serveFiles } from './helpers/http-server.ts';
import { useLocalRegistry } from './helpers/registry.ts';
import { binaryenRelease } from './helpers/releases.ts';
import { ROOT, runAction } from './helpers/run-action.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const all = requireTools('action end-to-end tests', {
  'cargo +debian': HAVE.debianRust,
  'wasm-opt': HAVE.wasmOpt,
  skopeo: HAVE.skopeo,
  'docker-registry': HAVE.registry,
});
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
// WasmEdge, crun+WasmEdge and wasmtime cannot be had here (e2e.yml runs them): these runs ask for Node only.
const HELLO = {
  'manifest-path': 'examples/hello',
  toolchain: 'debian',
  runtimes: 'node',
  args: 'world',
  env: 'GREETING=hi',
  'expect-stdout': 'Hello from wasm-build!',
};

describe.runIf(all)('actions as the runner runs them', () => {
  const registry = useLocalRegistry();
  let server: FileServer;
  beforeAll(async () => {
    const r = await binaryenRelease('132');
    server = await serveFiles({ [r.archivePath]: r.archive, [r.checksumPath]: r.checksum });
  });
  afterAll(() => server.close());

  it('root action: builds examples/hello, installs binaryen, pushes, and its digest is what the registry serves', async () => {
    const image = `${registry.current.address}/e2e/hello:v1`;
    const work = mkdtempSync(join(tmpdir(), 'root-'));
    const r = await runAction('.', { ...HELLO, image, 'binaryen-base-url': server.url, 'work-dir': work });
    expect(r.code, r.stdout + r.stderr).toBe(0);

    const served = await new RegistryClient(parseImageRef(image)).manifest('v1');
    expect(r.outputs.digest).toBe(served.digest);
    expect(r.outputs['image-ref']).toBe(`${registry.current.address}/e2e/hello@${served.digest}`);
    const wasm = readFileSync(r.outputs['wasm-path']);
    expect(r.outputs['wasm-sha256']).toBe(sha256(wasm));
    expect(Number(r.outputs['wasm-size'])).toBe(wasm.length);
    expect(JSON.parse(r.outputs.report)).toMatchObject({ kind: 'module', wasi: { version: 'preview1' } });
    expect(JSON.parse(r.outputs['smoke-results'])).toMatchObject([
      { runtime: expect.stringMatching(/^node/), status: 'pass', exitCode: 0 },
    ]);
    expect(server.requests).toEqual([
      '/version_132/binaryen-version_132-x86_64-linux.tar.gz',
      '/version_132/binaryen-version_132-x86_64-linux.tar.gz.sha256',
    ]);

    expect(r.stdout).toContain('::group::setup');
    expect(r.summary).toMatch(/<tr><td>push<\/td><td>ok<\/td>/);
    expect(r.outputs.backend).toBe('builtin');
    // The bytes uploaded are the config's and the layer's as the registry serves them (the gzip of the layer varies
    // by a byte or so with its mtime, the commit time of the checkout).
    const m = JSON.parse(served.bytes.toString('utf8')) as { config: { size: number }; layers: { size: number }[] };
    const uploaded = m.config.size + m.layers[0].size;
    expect(r.summary).toContain(
      `<tr><td>builtin</td><td>no docker buildx, no oras on PATH; the built-in registry client</td><td>${uploaded} bytes in 2 blobs (0 already there)</td><td>1</td><td>v1</td></tr>`,
    );
    expect(r.summary).toMatch(/<h3>build: hello.wasm<\/h3>\n<table>.*<td>wasm-opt version \d+<\/td>/);
    expect(r.summary).toContain('<h3>verify: ');
    expect(r.summary).toContain(`<td>${served.digest}</td><td>wasi/wasm</td><td>/hello.wasm</td>`);
    expect(r.summary).toContain('<tr><td>module.wasm.image/variant</td><td>compat-smart</td></tr>');
    expect(r.summary).toMatch(
      /<tr><td>node v\d+\.\d+\.\d+<\/td><td>pass<\/td><td>runs<\/td><td>ran<\/td><td>0<\/td><td>\d+ ms<\/td><td>Hello from wasm-build!/,
    );
  });

  it('setup: Debian toolchain, binaryen from the release into the tool cache and PATH; the second run downloads nothing', async () => {
    const toolCache = mkdtempSync(join(tmpdir(), 'tool-cache-'));
    const before = server.requests.length;
    const inputs = { 'manifest-path': 'examples/hello', toolchain: 'debian', 'binaryen-base-url': server.url };
    const first = await runAction('setup', inputs, { toolCache });
    expect(first.code, first.stdout).toBe(0);
    expect(first.outputs).toMatchObject({
      'rustc-version': '1.63.0',
      toolchain: 'debian',
      target: 'wasm32-wasi',
      'binaryen-cached': 'false',
    });
    expect(first.outputs['wasm-opt-path']).toBe(
      join(toolCache, 'binaryen', '132.0.0', process.arch, 'bin', 'wasm-opt'),
    );
    expect(first.path).toEqual([dirname(first.outputs['wasm-opt-path'])]);
    expect(server.requests.length).toBe(before + 2);

    const second = await runAction('setup', inputs, { toolCache });
    expect(second.code).toBe(0);
    expect(second.outputs['binaryen-cached']).toBe('true');
    expect(server.requests.length).toBe(before + 2);
  });

  it('build: each rustc diagnostic is an annotation on its file, line and column; cargo lines arrive whole', async () => {
    const r = await runAction('build', { 'manifest-path': 'test/fixtures/broken-crate', toolchain: 'debian' });
    expect(r.code).toBe(1);
    // test/fixtures/broken-crate/src/main.rs line 3: `let n: u32 = "not a number";`, the string at column 18.
    expect(r.stdout).toMatch(/^::error file=src\/main.rs,line=3,col=18::error\[E0308\]: mismatched types/m);
    expect(r.stdout).toContain('expected `u32`, found `&str`');
    // cargo's own progress, line by line: never a lone fragment such as "error" or ":".
    expect(r.stdout.split('\n').filter((l) => /^(error|:|warning)$/.test(l.trim()))).toEqual([]);
    expect(stripAnsi(r.stdout)).toMatch(/^ +Compiling broken v0.1.0/m);
    expect(r.stdout).toMatch(
      /^::error::cargo build failed for .*: error\[E0308\]: mismatched types --> src\/main.rs:3:18/m,
    );
  });

  it('build → verify → image → smoke-test, each as its own action', async () => {
    const work = mkdtempSync(join(tmpdir(), 'stages-'));
    const build = await runAction('build', {
      'manifest-path': 'examples/hello',
      toolchain: 'debian',
      'work-dir': work,
    });
    expect(build.code, build.stdout).toBe(0);
    expect(Number(build.outputs['wasm-size'])).toBeLessThan(Number(build.outputs['size-before']));
    expect(build.summary).toContain(`<td>${build.outputs['size-before']}</td><td>${build.outputs['wasm-size']}</td>`);
    const wasm = build.outputs['wasm-path'];

    const verify = await runAction('verify', { wasm, entrypoint: '/hello.wasm' });
    expect(verify.code).toBe(0);
    expect(verify.outputs.threads).toBe('false');
    expect(verify.summary).toContain('<tr><td>compat-smart entrypoint</td><td>pass</td>');

    const image = `${registry.current.address}/e2e/stages:v2`;
    const img = await runAction('image', {
      wasm,
      image,
      'layout-dir': join(work, 'layout'),
      'manifest-path': 'examples/hello',
    });
    expect(img.code, img.stdout).toBe(0);
    expect(img.outputs.digest).toBe((await new RegistryClient(parseImageRef(image)).manifest('v2')).digest);
    expect(img.outputs.entrypoint).toBe('/hello.wasm');

    const expect3 = { args: 'world', env: 'GREETING=hi', 'expect-stdout': 'Hello from wasm-build!', runtimes: 'node' };
    // The image as the registry serves it, pulled by digest; then the layout the image action wrote (the PR check).
    const sources: Record<string, string>[] = [
      { image: img.outputs['image-ref'] },
      { 'layout-dir': join(work, 'layout') },
    ];
    for (const source of sources) {
      const smoke = await runAction('smoke-test', { ...source, ...expect3 });
      expect(smoke.code, smoke.stdout).toBe(0);
      expect(JSON.parse(smoke.outputs.results)).toMatchObject([{ status: 'pass', exitCode: 0 }]);
      expect(smoke.summary).toMatch(
        /<tr><td>node v[\d.]+<\/td><td>pass<\/td><td>runs<\/td><td>ran<\/td><td>0<\/td><td>\d+ ms<\/td><td>Hello from wasm-build!<\/td>/,
      );
    }
  });

  it('smoke-test: a shared-memory module is incompatible under crun+WasmEdge, with the reason; allow-incompatible lets it through', async () => {
    const wasm = join(ROOT, '../shared/corpus/binaries/wasi-testsuite_wasi_threads_noop.wasm');
    const failed = await runAction('smoke-test', { wasm, runtimes: 'crun-wasmedge,node' });
    expect(failed.code).toBe(1);
    // crun with the WasmEdge handler cannot be had here (it would be built against WasmEdge's release, and nothing
    // can be downloaded): the prediction (RUNTIME-OUTCOMES.tsv: load-fail) stands and fails the step.
    expect(failed.summary).toMatch(
      /<tr><td>crun-wasmedge<\/td><td>incompatible<\/td><td>cannot<\/td><td> <\/td><td> <\/td><td>0 ms<\/td><td> <\/td><td>uses shared-memory \(imported memory foo.bar[^<]*malformed limits flags, Code: 0x11d[^<]*\(predicted; not run: crun-wasmedge could not be had here: [^<]*\)<\/td><\/tr>/,
    );
    // node:wasi runs it to exit 0, as the table measured.
    expect(failed.summary).toMatch(/<tr><td>node v[\d.]+<\/td><td>pass<\/td><td>runs<\/td><td>ran<\/td><td>0<\/td>/);
    expect(failed.stdout).toMatch(
      /^::error::crun-wasmedge: incompatible: uses shared-memory .*"loading failed: malformed limits flags, Code: 0x11d".*add crun-wasmedge to allow-incompatible/m,
    );
    const allowed = await runAction('smoke-test', {
      wasm,
      runtimes: 'crun-wasmedge,node',
      'allow-incompatible': 'crun-wasmedge',
    });
    expect(allowed.code, allowed.stdout).toBe(0);
    expect(JSON.parse(allowed.outputs.results).map((x: { status: string }) => x.status)).toEqual([
      'incompatible',
      'pass',
    ]);
  });

  it('smoke-test: a sign-ext module is predicted to run under crun+WasmEdge, and is run (not refused)', async () => {
    const wasm = join(ROOT, 'test/fixtures/fit/sign-ext.wasm');
    const r = await runAction('smoke-test', { wasm, runtimes: 'crun-wasmedge,node', 'expect-stdout': 'sign-ext ok' });
    const [crun, node] = JSON.parse(r.outputs.results);
    expect(crun).toMatchObject({ runtime: 'crun-wasmedge', predicted: { status: 'runs' } });
    expect(node).toMatchObject({ status: 'pass', outcome: { class: 'ran' }, predicted: { status: 'runs' } });
    expect(node.stdout).toBe('sign-ext ok');
    if (HAVE.crunWasm) {
      expect(r.code, r.stdout).toBe(0);
    } else {
      // Here the action would build crun --with-wasmedge against WasmEdge's release, which cannot be downloaded:
      // the step fails on that, naming it, never on a predicted incompatibility. e2e.yml runs it where it can.
      expect(r.code).toBe(1);
      expect(crun.status).toBe('fail');
      expect(crun.reason).toMatch(/^crun-wasmedge could not be had here: GitHub's releases API is unreachable/);
      expect(r.stdout).not.toContain('incompatible');
    }
  });

  it("smoke-test: a predicted incompatibility is still run, and the row shows the runtime's own error", async () => {
    const wasm = join(ROOT, 'test/fixtures/fit/threads-shaped.wasm');
    const r = await runAction('smoke-test', { wasm, runtimes: 'node' });
    expect(r.code).toBe(1);
    const [node] = JSON.parse(r.outputs.results);
    expect(node).toMatchObject({
      status: 'incompatible',
      outcome: { class: 'link-fail' },
      predicted: { status: 'cannot' },
    });
    expect(node.reason).toContain(
      'the run: link-fail: TypeError: WebAssembly.Instance(): Import #1 module="wasi" error: module is not an object or function',
    );
    expect(node.mismatch).toBeUndefined();
  });

  it('image: works in a workspace whose root has no Cargo.toml (the module built elsewhere)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'no-crate-'));
    const wasm = join(ROOT, 'test/fixtures/fit/sign-ext.wasm');
    const r = await runAction('image', { wasm, 'layout-dir': join(cwd, 'layout') }, { cwd });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('No Cargo.toml at ".": the image gets no source annotations');
    expect(r.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('smoke-test refuses two sources at once, before any work', async () => {
    const r = await runAction('smoke-test', { wasm: 'm.wasm', 'layout-dir': 'x' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^::error::Give exactly one of the inputs image, layout-dir and wasm \(got layout-dir, wasm\)/m,
    );
    expect(r.stdout).not.toContain('::group::');
  });

  it('verify fails W-005 with one error annotation on the module, the evidence and the fix, and still reports', async () => {
    const wasm = join(
      dirname(new URL(import.meta.url).pathname),
      '../../shared/corpus/binaries/wasi-testsuite_as_fd_write-to-stdout.wasm',
    );
    const r = await runAction('verify', { wasm, require: 'threads' });
    expect(r.code).toBe(1);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^::error title=wasm-build verify failed,file=.*as_fd_write-to-stdout.wasm::The module was required to use threads but cannot: .*--target wasm32-wasip1-threads/,
    );
    expect(JSON.parse(r.outputs.report).checks[0]).toMatchObject({ name: 'require threads', status: 'fail' });
    expect(r.summary).toMatch(/<tr><td>require threads<\/td><td>fail<\/td>/);
  });

  it.each([
    [
      '.',
      { target: 'wasm32-foo' },
      /^::error::Invalid input "target": "wasm32-foo": Invalid option: expected one of "wasm32-wasip1"/m,
    ],
    ['.', { threads: 'maybe' }, /^::error::Invalid input "threads": "maybe": expected true or false/m],
    [
      '.',
      { image: 'ghcr.io/org/a..pp' },
      /^::error::Invalid input "image": "ghcr.io\/org\/a\.\.pp": "a\.\.pp" is not a valid repository path component/m,
    ],
    ['.', { timeout: '-5' }, /^::error::Invalid input "timeout": "-5": Too small/m],
    ['.', { 'max-size': '1kb' }, /^::error::Invalid input "max-size": "1kb": expected a whole number/m],
    [
      '.',
      { 'binaryen-version': 'latest' },
      /^::error::Invalid input "binaryen-version": "latest": expected a binaryen release number/m,
    ],
    ['setup', { target: 'x86_64-unknown-linux-gnu' }, /^::error::Invalid input "target": "x86_64-unknown-linux-gnu"/m],
    ['verify', { wasm: 'm.wasm', require: 'thread' }, /^::error::Invalid input "require": "thread": Invalid option/m],
    ['image', { wasm: 'm.wasm', name: '../x' }, /^::error::Invalid input "name": "..\/x": expected letters, digits/m],
    [
      'smoke-test',
      { wasm: 'm.wasm', 'expect-exit-code': '256' },
      /^::error::Invalid input "expect-exit-code": "256": Too big/m,
    ],
  ])('%s with %j fails before any work, naming the input', async (action, inputs, message) => {
    const r = await runAction(action, inputs as Record<string, string>);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(message);
    expect(r.stdout).not.toContain('::group::');
    expect(r.outputs).toEqual({});
  });
});
