// What an installer says when a release server misbehaves: a tool archive tar cannot read (corrupt, or cut short),
// a checksum file answering 404 or 500, a releases API answering 500 or not JSON, a tool-cache path Linux refuses
// (ENAMETOOLONG). Each is one line naming the URL or path, what was wrong and the fix; the tool cache and RUNNER_TEMP
// are left as they were. Served from 127.0.0.1 by a server that answers any status per path.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { installTool, memoryLog, UserError } from '@wasm-build/kit';
import { packTar } from '@wasm-build/oci';
import { binaryenAsset, installBinaryen, installOras, installWasmtime, orasAsset } from '@wasm-build/toolchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tarGz } from './helpers/http-server.ts';
import { binaryenRelease, sha256Hex } from './helpers/releases.ts';

type Route = { status: number; body: Buffer };
const routes = new Map<string, Route>();
const requests: string[] = [];
let server: Server;
let base = '';
const saved = { api: process.env.GITHUB_API_URL, server: process.env.GITHUB_SERVER_URL };
const g = globalThis as Record<string, unknown>;

const serve = (path: string, body: Buffer | string, status = 200) =>
  routes.set(path, { status, body: Buffer.from(body) });
const temp = () => readdirSync(process.env.RUNNER_TEMP!).sort();
const cache = () => (existsSync(process.env.RUNNER_TOOL_CACHE!) ? readdirSync(process.env.RUNNER_TOOL_CACHE!) : []);

/** Runs `install`, and returns its error after checking it is one line and touched neither the tool cache nor temp. */
async function failure(install: () => Promise<unknown>): Promise<UserError> {
  const before = { temp: temp(), cache: cache() };
  const err = await install().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  expect((err as UserError).message).not.toContain('\n');
  expect((err as UserError).fix).toBeTruthy();
  expect(temp()).toEqual(before.temp);
  expect(cache()).toEqual(before.cache);
  return err as UserError;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    const r = routes.get(path) ?? { status: 404, body: Buffer.from('not found') };
    res.writeHead(r.status, { 'content-length': r.body.length }).end(r.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.GITHUB_API_URL = base;
  process.env.GITHUB_SERVER_URL = base;
  // @actions/tool-cache retries 5xx after 10-20 s; these globals are its own test hooks for the wait.
  g.TEST_DOWNLOAD_TOOL_RETRY_MIN_SECONDS = 0;
  g.TEST_DOWNLOAD_TOOL_RETRY_MAX_SECONDS = 0;
});
afterAll(async () => {
  for (const [k, v] of Object.entries({ GITHUB_API_URL: saved.api, GITHUB_SERVER_URL: saved.server })) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  delete g.TEST_DOWNLOAD_TOOL_RETRY_MIN_SECONDS;
  delete g.TEST_DOWNLOAD_TOOL_RETRY_MAX_SECONDS;
  await new Promise((resolve) => server.close(resolve));
});

const paths = (n: string) => {
  const a = binaryenAsset({ version: n, baseUrl: 'http://x' });
  return { archive: new URL(a.url).pathname, checksum: new URL(a.sha256Url).pathname, fileName: a.fileName };
};

describe('installBinaryen', () => {
  it('a corrupt archive (right checksum, not a .tar.gz) is a one-line error with the URL and tar’s words', async () => {
    const p = paths('904');
    const body = Buffer.from('this is not a tarball\n'.repeat(50));
    serve(p.archive, body);
    serve(p.checksum, `${sha256Hex(body)}  ${p.fileName}\n`);
    const err = await failure(() => installBinaryen({ version: '904', baseUrl: base }, memoryLog()));
    expect(err.message).toMatch(
      new RegExp(
        `^The binaryen 904\\.0\\.0 archive from ${base}${p.archive.replace(/\./g, '\\.')} cannot be extracted \\(tar exit code 2: .*not in gzip format`,
      ),
    );
    expect(err.fix).toMatch(/^The archive is corrupt or not a \.tar\.gz; nothing was cached/);
  });

  it('an archive cut short leaves no partial extraction behind', async () => {
    const p = paths('906');
    const whole = (await binaryenRelease('906')).archive;
    expect(whole.length).toBeGreaterThan(20_000); // big enough that tar writes some files before the end
    const cut = whole.subarray(0, Math.floor(whole.length / 2));
    serve(p.archive, cut);
    serve(p.checksum, `${sha256Hex(cut)}  ${p.fileName}\n`);
    const err = await failure(() => installBinaryen({ version: '906', baseUrl: base }, memoryLog()));
    expect(err.message).toMatch(/^The binaryen 906\.0\.0 archive from .* cannot be extracted \(tar exit code 2: /);
  });

  it.each([
    [404, 1],
    [500, 3],
  ])('a checksum file answering %i names its URL and the status (%i requests: 5xx is retried)', async (status, n) => {
    const v = String(907 + status);
    const p = paths(v);
    serve(p.archive, (await binaryenRelease(v)).archive);
    serve(p.checksum, 'server error', status);
    const before = requests.length;
    const err = await failure(() => installBinaryen({ version: v, baseUrl: base }, memoryLog()));
    expect(err.message).toBe(
      `Download of the binaryen version_${v} checksum file failed: ${base}${p.checksum} (HTTP ${status})`,
    );
    expect(err.fix).toMatch(/binaryen-base-url serves its \.sha256/);
    expect(requests.slice(before)).toEqual([p.archive, ...Array(n).fill(p.checksum)]);
  });
});

describe('installOras', () => {
  it('a checksums file answering 404 names its URL', async () => {
    const a = orasAsset({ version: '9.9.1', baseUrl: base });
    serve(new URL(a.url).pathname, await tarGz([{ header: { name: 'oras', mode: 0o755 }, data: Buffer.from('x') }]));
    const err = await failure(() => installOras({ version: '9.9.1', baseUrl: base }, memoryLog()));
    expect(err.message).toBe(`Download of the oras 9.9.1 checksums file failed: ${a.checksumsUrl} (HTTP 404)`);
  });
});

describe('installWasmtime (releases API)', () => {
  const folder = (v: string) => `wasmtime-v${v}-x86_64-linux`;
  const publish = (v: string, body: Buffer) => {
    const path = `/bytecodealliance/wasmtime/releases/download/v${v}/${folder(v)}.tar.xz`;
    serve(path, body);
    const asset = {
      name: `${folder(v)}.tar.xz`,
      browser_download_url: `${base}${path}`,
      digest: `sha256:${sha256Hex(body)}`,
    };
    serve(`/repos/bytecodealliance/wasmtime/releases/tags/v${v}`, JSON.stringify({ assets: [asset] }));
  };

  it('a .tar.xz tar cannot read is a one-line error', async () => {
    publish('96.0.0', Buffer.from('not xz at all'));
    const err = await failure(() => installWasmtime({ version: '96.0.0', arch: 'x64' }, memoryLog()));
    expect(err.message).toMatch(/^The wasmtime 96\.0\.0 archive from .* cannot be extracted \(tar exit code 2: /);
    expect(err.fix).toMatch(/not a \.tar\.xz/);
  });

  it('an xz archive cut short leaves nothing', async () => {
    const v = '95.0.0';
    const files = Array.from({ length: 8 }, (_, i) => ({
      header: { name: `${folder(v)}/f${i}`, mode: 0o644 },
      data: Buffer.from(sha256Hex(Buffer.from(String(i))).repeat(400)),
    }));
    const xz = spawnSync('xz', ['-c', '-0'], { input: await packTar(files) }).stdout;
    publish(v, xz.subarray(0, Math.floor(xz.length * 0.6)));
    const err = await failure(() => installWasmtime({ version: v, arch: 'x64' }, memoryLog()));
    expect(err.message).toMatch(/cannot be extracted \(tar exit code 2: /);
  });

  it('a releases API answering 500 (after retries), or what is not JSON, is a one-line error naming the URL', async () => {
    serve('/repos/bytecodealliance/wasmtime/releases/tags/v94.0.0', 'oops', 500);
    process.env.WASM_BUILD_RETRY_MIN_MS = '1';
    const e500 = await failure(() => installWasmtime({ version: '94.0.0', arch: 'x64' }, memoryLog())).finally(
      () => delete process.env.WASM_BUILD_RETRY_MIN_MS,
    );
    expect(e500.message).toBe(
      `GitHub's releases API kept failing for ${base}/repos/bytecodealliance/wasmtime/releases/tags/v94.0.0 (HTTP 500, 4 attempts)`,
    );
    expect(e500.fix).toMatch(/^Retry later/);
    serve('/repos/bytecodealliance/wasmtime/releases/tags/v93.0.0', '{"assets": [');
    const bad = await failure(() => installWasmtime({ version: '93.0.0', arch: 'x64' }, memoryLog()));
    expect(bad.message).toMatch(
      new RegExp(`^${base}/repos/bytecodealliance/wasmtime/releases/tags/v93\\.0\\.0 did not answer a release as JSON`),
    );
  });
});

describe('installTool', () => {
  it('a tool-cache path Linux refuses (ENAMETOOLONG) is a one-line error naming it, and leaves nothing', async () => {
    const body = await tarGz([{ header: { name: 'bin/t', mode: 0o755 }, data: Buffer.from('#!/bin/sh\n') }]);
    serve('/long.tar.gz', body);
    const tool = 't'.repeat(300);
    const err = await failure(() =>
      installTool({ tool, version: '1.0.0', url: `${base}/long.tar.gz`, sha256: sha256Hex(body) }, memoryLog()),
    );
    expect(err.message).toBe(
      `Cannot write the tool cache at ${join(process.env.RUNNER_TOOL_CACHE!, tool, '1.0.0', process.arch)}: ENAMETOOLONG`,
    );
  });
});
