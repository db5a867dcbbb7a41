import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tc from '@actions/tool-cache';
import { exec, memoryLog } from '@wasm-build/kit';
import { describe, expect, it } from 'vitest';
import {
  buildCrunWithWasmEdge,
  CRUN_BUILD_PACKAGES,
  type CrunActionsCache,
  crunBuildCommands,
  crunCacheKey,
  crunHasWasmEdge,
  findCachedCrun,
  streamedCommand,
  type WasmEdgeInstall,
} from '../src/runtimes.ts';

describe('crunBuildCommands', () => {
  const o = {
    version: '1.27.1',
    tarball: '/t/crun.tgz',
    workDir: '/w',
    prefix: '/w/prefix',
    wasmedge: { includeDir: '/we/include', libDir: '/we/lib' },
  };
  const env = { CFLAGS: '-I/we/include', LDFLAGS: '-L/we/lib -Wl,-rpath,/we/lib' };
  it.each([
    [false, { command: 'apt-get', args: ['install', '-y', '--no-install-recommends', ...CRUN_BUILD_PACKAGES] }],
    [true, { command: 'sudo', args: ['apt-get', 'install', '-y', '--no-install-recommends', ...CRUN_BUILD_PACKAGES] }],
  ])('sudo %s', (sudo, apt) => {
    expect(crunBuildCommands({ ...o, sudo })).toEqual([
      apt,
      { command: 'tar', args: ['-xzf', '/t/crun.tgz', '-C', '/w'] },
      { command: './configure', args: ['--with-wasmedge', '--prefix=/w/prefix'], cwd: '/w/crun-1.27.1', env },
      { command: 'make', args: ['-j4'], cwd: '/w/crun-1.27.1', env },
      { command: 'make', args: ['install'], cwd: '/w/crun-1.27.1', env },
    ]);
  });
});

describe('crunHasWasmEdge', () => {
  it.each([
    ['crun version 1.27.1\ncommit: x\nspec: 1.0.0\n+SYSTEMD +SELINUX +CAP +SECCOMP +EBPF +WASM:wasmedge +YAJL', true],
    ['crun version 1.8.1\ncommit: f8a0\nspec: 1.0.0\n+SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +YAJL', false],
    ['crun version 1.20\n+WASM:wasmtime +YAJL', false],
  ])('%#', (out, want) => {
    expect(crunHasWasmEdge(out)).toBe(want);
  });
});

describe('crun cache keys', () => {
  it('keeps the WasmEdge version: semver.clean would drop a +wasmedge.V build suffix', () => {
    expect(crunCacheKey({ version: '1.27.1', wasmedgeVersion: '0.17.1', platform: 'linux', arch: 'x64' })).toEqual({
      tool: 'crun-wasmedge-0.17.1',
      version: '1.27.1',
      cacheKey: 'wasm-build-crun-1.27.1-wasmedge-0.17.1-linux-x64',
    });
    expect(
      crunCacheKey({ version: '1.27.1', wasmedgeVersion: '0.16.1', platform: 'linux', arch: 'arm64' }).cacheKey,
    ).toBe('wasm-build-crun-1.27.1-wasmedge-0.16.1-linux-arm64');
  });

  // A fake @actions/cache whose entries are files written into the restored path.
  function fakeCache(entries: Record<string, string>): CrunActionsCache & { restored: string[] } {
    const restored: string[] = [];
    return {
      restored,
      isAvailable: () => true,
      restore: async ([path], key) => {
        if (!(key in entries)) return false;
        restored.push(key);
        mkdirSync(join(path, 'bin'), { recursive: true });
        writeFileSync(join(path, 'bin', 'crun'), entries[key]);
        return true;
      },
      save: async () => {
        throw new Error('nothing is built in this test');
      },
    };
  }
  const wasmedge = (version: string) =>
    ({
      version,
      dir: '/we',
      wasmedge: '/we/bin/wasmedge',
      libDir: '/we/lib',
      includeDir: '/we/include',
    }) as unknown as WasmEdgeInstall & { version: string };

  it('a crun built for WasmEdge 0.16 is not found when 0.17 is asked for (real tool cache)', async () => {
    const crun = '1.27.90'; // a version no other test caches
    const k16 = crunCacheKey({ version: crun, wasmedgeVersion: '0.16.1' });
    const k17 = crunCacheKey({ version: crun, wasmedgeVersion: '0.17.1' });
    const cache = fakeCache({ [k16.cacheKey]: 'crun for 0.16', [k17.cacheKey]: 'crun for 0.17' });
    const log = memoryLog();

    const first = await buildCrunWithWasmEdge({ version: crun, wasmedge: wasmedge('0.16.1'), sudo: false, cache }, log);
    expect(first.from).toBe('actions-cache');
    expect(first.crun.startsWith(process.env.RUNNER_TOOL_CACHE!)).toBe(true);
    expect(await findCachedCrun({ version: crun, wasmedgeVersion: '0.16.1' })).toBeDefined();
    // The old key, `1.27.90+wasmedge.0.17.1`, is cleaned to 1.27.90 and so matched the 0.16 build.
    expect(await findCachedCrun({ version: crun, wasmedgeVersion: '0.17.1' })).toBeUndefined();

    const second = await buildCrunWithWasmEdge(
      { version: crun, wasmedge: wasmedge('0.17.1'), sudo: false, cache },
      log,
    );
    expect(second.from).toBe('actions-cache');
    expect(readFileSync(second.crun, 'utf8')).toBe('crun for 0.17');
    expect(cache.restored).toEqual([k16.cacheKey, k17.cacheKey]);

    // Now both are in the tool cache: neither is restored or built again, and each gets its own.
    const again = await buildCrunWithWasmEdge({ version: crun, wasmedge: wasmedge('0.16.1'), sudo: false, cache }, log);
    expect(again).toMatchObject({ cached: true, from: 'tool-cache' });
    expect(readFileSync(again.crun, 'utf8')).toBe('crun for 0.16');
    expect(cache.restored).toHaveLength(2);
    expect(tc.findAllVersions(k17.tool)).toEqual([crun]);
  });
});

describe('streamedCommand', () => {
  it('sends stdout to stderr, so every line reaches onStderr as it is written', async () => {
    const cmd = { command: 'sh', args: ['-c', 'echo configure-out; echo make-err >&2'] };
    expect(streamedCommand(cmd)).toEqual({
      command: 'sh',
      args: ['-c', 'exec "$@" 1>&2', 'sh', 'sh', '-c', 'echo configure-out; echo make-err >&2'],
    });
    const seen: string[] = [];
    const r = await exec.run(streamedCommand(cmd), { onStderr: (c) => seen.push(c) });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    expect(seen.join('')).toBe('configure-out\nmake-err\n');
  });
});
