// The oras, WasmEdge and wasmtime installers against a loopback server that emulates GitHub: the releases API
// (`/repos/O/R/releases/tags/T` with each asset's `digest`) and the downloads, with archives in each project's real
// layout holding shell-script stand-ins (no oras, WasmEdge or wasmtime binary can be had on this machine).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { memoryLog } from '@wasm-build/kit';
import { packTar, type TarEntry } from '@wasm-build/oci';
import { installOras, installWasmEdge, installWasmtime, orasAsset } from '@wasm-build/toolchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileServer, serveFiles, tarGz } from './helpers/http-server.ts';
import { sha256Hex } from './helpers/releases.ts';

const script = (name: string, out: string): TarEntry => ({
  header: { name, mode: 0o755 },
  data: Buffer.from(`#!/bin/sh\necho "${out}"\n`),
});
const dir = (name: string): TarEntry => ({ header: { name, type: 'directory', mode: 0o755 } });
const file = (name: string, text = 'x'): TarEntry => ({ header: { name, mode: 0o644 }, data: Buffer.from(text) });

let server: FileServer;
const saved = { api: process.env.GITHUB_API_URL, server: process.env.GITHUB_SERVER_URL };

/** Publishes a release: the API document with each asset's URL and digest (or none), and the asset bodies. */
function release(
  repo: string,
  tag: string,
  assets: Record<string, Buffer>,
  o: { digest?: (b: Buffer) => string | null } = {},
) {
  const list = Object.entries(assets).map(([name, body]) => {
    const path = `/${repo}/releases/download/${tag}/${name}`;
    server.files.set(path, body);
    return {
      name,
      browser_download_url: `${server.url}${path}`,
      digest: o.digest ? o.digest(body) : `sha256:${sha256Hex(body)}`,
    };
  });
  server.files.set(`/repos/${repo}/releases/tags/${tag}`, Buffer.from(JSON.stringify({ tag_name: tag, assets: list })));
}

const toolCacheHas = (tool: string, version: string) => existsSync(join(process.env.RUNNER_TOOL_CACHE!, tool, version));
const tempEntries = () => readdirSync(process.env.RUNNER_TEMP!).sort();

beforeAll(async () => {
  server = await serveFiles({});
  process.env.GITHUB_API_URL = server.url;
  process.env.GITHUB_SERVER_URL = server.url;
});
afterAll(async () => {
  process.env.GITHUB_API_URL = saved.api;
  process.env.GITHUB_SERVER_URL = saved.server;
  for (const [k, v] of Object.entries({ GITHUB_API_URL: saved.api, GITHUB_SERVER_URL: saved.server }))
    if (v === undefined) delete process.env[k];
  await server.close();
});

describe('installOras', () => {
  it('downloads the release, checks oras_V_checksums.txt, caches; the second run makes no request', async () => {
    const v = '9.1.0';
    const a = orasAsset({ version: v, baseUrl: server.url });
    const archive = await tarGz([script('oras', `Version: ${v}`), file('LICENSE', 'Apache-2.0')]);
    const other = await tarGz([file('x')]);
    server.files.set(new URL(a.url).pathname, archive);
    server.files.set(
      new URL(a.checksumsUrl).pathname,
      Buffer.from(`${sha256Hex(other)}  oras_${v}_darwin_amd64.tar.gz\n${sha256Hex(archive)}  ${a.fileName}\n`),
    );
    const before = server.requests.length;
    const first = await installOras({ version: v, baseUrl: server.url }, memoryLog());
    expect(server.requests.slice(before)).toEqual([new URL(a.url).pathname, new URL(a.checksumsUrl).pathname]);
    expect(spawnSync(first.oras, ['version'], { encoding: 'utf8' }).stdout).toBe(`Version: ${v}\n`);
    const second = await installOras({ version: v, baseUrl: server.url }, memoryLog());
    expect(server.requests.length).toBe(before + 2);
    expect([first.cached, second.cached, second.oras]).toEqual([false, true, first.oras]);
  });

  it('fails on a checksum mismatch with both hashes, and caches nothing', async () => {
    const v = '9.1.1';
    const a = orasAsset({ version: v, baseUrl: server.url });
    const archive = await tarGz([script('oras', 'Version: 9.1.1')]);
    server.files.set(new URL(a.url).pathname, archive);
    server.files.set(new URL(a.checksumsUrl).pathname, Buffer.from(`${'0'.repeat(64)}  ${a.fileName}\n`));
    const temp = tempEntries();
    await expect(installOras({ version: v, baseUrl: server.url }, memoryLog())).rejects.toThrow(
      `sha256 mismatch for ${a.url}: expected ${'0'.repeat(64)}, got ${sha256Hex(archive)}`,
    );
    expect(toolCacheHas('oras', v)).toBe(false);
    expect(tempEntries()).toEqual(temp);
  });
});

describe('installWasmEdge', () => {
  it.each([
    ['0.14.1', 'before 0.15: a WasmEdge-V-Linux/ top folder and lib64/', 'WasmEdge-0.14.1-Linux/', 'lib64'],
    ['0.15.0', 'from 0.15: no top folder, lib/', '', 'lib'],
  ])('%s (%s): API digest checked, library path set, cached', async (v, _what, top, lib) => {
    const asset = `WasmEdge-${v}-manylinux_2_28_x86_64.tar.gz`;
    const entries = [
      ...(top ? [dir(top)] : []),
      dir(`${top}bin/`),
      script(`${top}bin/wasmedge`, `wasmedge version ${v}`),
      dir(`${top}${lib}/`),
      file(`${top}${lib}/libwasmedge.so.0`),
      dir(`${top}include/wasmedge/`),
      file(`${top}include/wasmedge/wasmedge.h`),
    ];
    release('WasmEdge/WasmEdge', v, { [asset]: await tarGz(entries), SHA256SUM: Buffer.from('') });
    const before = server.requests.length;
    const w = await installWasmEdge({ version: v, arch: 'x64' }, memoryLog());
    expect(server.requests.slice(before)).toEqual([
      `/repos/WasmEdge/WasmEdge/releases/tags/${v}`,
      `/WasmEdge/WasmEdge/releases/download/${v}/${asset}`,
    ]);
    expect(spawnSync(w.wasmedge, ['--version'], { encoding: 'utf8' }).stdout).toBe(`wasmedge version ${v}\n`);
    expect(w.libDir).toBe(join(w.dir, lib));
    expect(existsSync(join(w.libDir, 'libwasmedge.so.0'))).toBe(true);
    expect(existsSync(join(w.includeDir, 'wasmedge', 'wasmedge.h'))).toBe(true);
    const again = await installWasmEdge({ version: v, arch: 'x64' }, memoryLog());
    expect(again.cached).toBe(true);
    expect(server.requests.length).toBe(before + 2);
  });

  it('fails when the download does not match the API digest, and caches nothing', async () => {
    const v = '0.16.9';
    const asset = `WasmEdge-${v}-manylinux_2_28_x86_64.tar.gz`;
    const body = await tarGz([dir('bin/'), script('bin/wasmedge', 'x')]);
    release('WasmEdge/WasmEdge', v, { [asset]: body }, { digest: () => `sha256:${'1'.repeat(64)}` });
    await expect(installWasmEdge({ version: v, arch: 'x64' }, memoryLog())).rejects.toThrow(
      `expected ${'1'.repeat(64)}, got ${sha256Hex(body)}`,
    );
    expect(toolCacheHas('wasmedge', v)).toBe(false);
  });

  it('asks for a pinned sha256 when the release gives no digest; a pinned one needs no API call', async () => {
    const v = '0.16.8';
    const asset = `WasmEdge-${v}-manylinux_2_28_x86_64.tar.gz`;
    const body = await tarGz([dir('bin/'), script('bin/wasmedge', `wasmedge version ${v}`), dir('lib/')]);
    release('WasmEdge/WasmEdge', v, { [asset]: body }, { digest: () => null });
    await expect(installWasmEdge({ version: v, arch: 'x64' }, memoryLog())).rejects.toMatchObject({
      message: `WasmEdge/WasmEdge release ${v} gives ${asset} no sha256 digest`,
      fix: 'Pin its sha256 (the wasmedge-sha256 input) so the download can be checked',
    });
    const before = server.requests.length;
    const w = await installWasmEdge({ version: v, arch: 'x64', sha256: sha256Hex(body) }, memoryLog());
    expect(server.requests.slice(before)).toEqual([`/WasmEdge/WasmEdge/releases/download/${v}/${asset}`]);
    expect(w.libDir).toBe(join(w.dir, 'lib'));
  });
});

describe('installWasmtime', () => {
  it('picks the .tar.xz asset among several by name, checks its digest, and caches it', async () => {
    const v = '99.0.0';
    const folder = `wasmtime-v${v}-x86_64-linux`;
    const tar = await packTar([
      dir(`${folder}/`),
      script(`${folder}/wasmtime`, `wasmtime ${v}`),
      file(`${folder}/LICENSE`),
    ]);
    const xz = spawnSync('xz', ['-c'], { input: tar });
    expect(xz.status).toBe(0);
    release('bytecodealliance/wasmtime', `v${v}`, {
      [`wasmtime-v${v}-aarch64-linux.tar.xz`]: Buffer.from('not this one'),
      [`${folder}.tar.xz`]: xz.stdout,
      [`wasmtime-v${v}-x86_64-linux-c-api.tar.xz`]: Buffer.from('nor this'),
    });
    const w = await installWasmtime({ version: v, arch: 'x64' }, memoryLog());
    expect(spawnSync(w.wasmtime, ['--version'], { encoding: 'utf8' }).stdout).toBe(`wasmtime ${v}\n`);
    expect((await installWasmtime({ version: v, arch: 'x64' }, memoryLog())).cached).toBe(true);
  });

  it('fails when the .tar.xz does not match the API digest, and caches nothing', async () => {
    const v = '97.0.0';
    const folder = `wasmtime-v${v}-x86_64-linux`;
    const body = spawnSync('xz', ['-c'], {
      input: await packTar([dir(`${folder}/`), script(`${folder}/wasmtime`, 'x')]),
    }).stdout;
    release(
      'bytecodealliance/wasmtime',
      `v${v}`,
      { [`${folder}.tar.xz`]: body },
      { digest: () => `sha256:${'2'.repeat(64)}` },
    );
    await expect(installWasmtime({ version: v, arch: 'x64' }, memoryLog())).rejects.toThrow(
      `expected ${'2'.repeat(64)}, got ${sha256Hex(body)}`,
    );
    expect(toolCacheHas('wasmtime', v)).toBe(false);
  });

  it('names the assets the release has when the one wanted is missing', async () => {
    release('bytecodealliance/wasmtime', 'v98.0.0', { 'wasmtime-v98.0.0-src.tar.gz': Buffer.from('src') });
    await expect(installWasmtime({ version: '98.0.0', arch: 'x64' }, memoryLog())).rejects.toThrow(
      'bytecodealliance/wasmtime release v98.0.0 has no asset wasmtime-v98.0.0-x86_64-linux.tar.xz (it has: wasmtime-v98.0.0-src.tar.gz)',
    );
  });
});
