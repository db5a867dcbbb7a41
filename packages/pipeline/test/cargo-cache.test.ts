import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLog } from '@wasm-build/kit';
import { describe, expect, it } from 'vitest';
import {
  buildEnv,
  type CacheService,
  type CargoCacheKeyInputs,
  type CargoCachePlan,
  cargoCacheKey,
  cargoCachePaths,
  restoreCargoCache,
  saveCargoCache,
} from '../src/cargo-cache.ts';

const RUSTC_163 = `rustc 1.63.0
binary: rustc
commit-hash: unknown
commit-date: unknown
host: x86_64-unknown-linux-gnu
release: 1.63.0
LLVM version: 14.0.6
`;
const RUSTC_195 = `rustc 1.95.0 (59807616e 2026-04-14)
binary: rustc
commit-hash: 59807616e1fa2540724bfbac14d7976d7e4a3860
commit-date: 2026-04-14
host: x86_64-unknown-linux-gnu
release: 1.95.0
LLVM version: 22.1.2
`;
const BASE: CargoCacheKeyInputs = {
  prefix: 'wasm-build-v2',
  job: 'build',
  os: 'linux',
  arch: 'x64',
  rustcVersion: RUSTC_163,
  target: 'wasm32-wasi',
  lockSha256: 'ab'.repeat(32),
  env: { RUSTFLAGS: '-C debuginfo=0' },
  targetDir: 'target',
};

describe('cargoCacheKey', () => {
  it('is exact for exact inputs: prefix, os, arch, job, target, toolchain/env hash, lock hash', () => {
    const k = cargoCacheKey(BASE);
    expect(k.key).toMatch(/^wasm-build-v2-linux-x64-build-wasm32-wasi-[0-9a-f]{16}-abababababababab$/);
    expect(k.restoreKeys).toEqual([k.key.replace(/abababababababab$/, '')]);
    expect(cargoCacheKey({ ...BASE })).toEqual(k);
    // The same env in another order is the same key.
    const env = { B: '2', A: '1' };
    expect(cargoCacheKey({ ...BASE, env }).key).toBe(cargoCacheKey({ ...BASE, env: { A: '1', B: '2' } }).key);
  });

  it('changes, restore prefix included, when the toolchain changes', () => {
    const a = cargoCacheKey(BASE);
    const b = cargoCacheKey({ ...BASE, rustcVersion: RUSTC_195 });
    expect(b.key).not.toBe(a.key);
    // Another toolchain never restores this one's target directory.
    expect(b.key.startsWith(a.restoreKeys[0])).toBe(false);
    expect(a.key.startsWith(b.restoreKeys[0])).toBe(false);
  });

  it.each([
    ['target', { target: 'wasm32-wasip1-threads' }],
    ['env', { env: { RUSTFLAGS: '-C target-feature=+simd128' } }],
    ['target directory', { targetDir: 'build/target' }],
    ['job', { job: 'other' }],
    ['arch', { arch: 'arm64' }],
  ] as const)('changes with the %s, restore prefix included', (_what, change) => {
    const a = cargoCacheKey(BASE);
    const b = cargoCacheKey({ ...BASE, ...change });
    expect(b.key).not.toBe(a.key);
    expect(b.restoreKeys[0]).not.toBe(a.restoreKeys[0]);
  });

  it('changes with Cargo.lock but keeps the restore prefix (same toolchain: a partial hit is useful)', () => {
    const a = cargoCacheKey(BASE);
    const b = cargoCacheKey({ ...BASE, lockSha256: 'cd'.repeat(32) });
    const none = cargoCacheKey({ ...BASE, lockSha256: undefined });
    expect(b.key).not.toBe(a.key);
    expect(b.restoreKeys).toEqual(a.restoreKeys);
    expect(none.key).toBe(`${a.restoreKeys[0]}nolock`);
  });
});

describe('buildEnv', () => {
  it('keeps what changes a build and drops output-only settings, paths and secrets', () => {
    expect(
      buildEnv({
        RUSTFLAGS: '-Copt-level=3',
        CARGO_PROFILE_RELEASE_LTO: 'true',
        CC: 'clang',
        CFLAGS: '-O2',
        CARGO_HOME: '/home/u/.cargo',
        CARGO_TERM_COLOR: 'always',
        CARGO_REGISTRY_TOKEN: 'secret',
        CARGO_REGISTRIES_MY_TOKEN: 'secret',
        PATH: '/usr/bin',
        HOME: '/home/u',
        GITHUB_TOKEN: 'ghs_x',
      }),
    ).toEqual({ CARGO_PROFILE_RELEASE_LTO: 'true', CC: 'clang', CFLAGS: '-O2', RUSTFLAGS: '-Copt-level=3' });
  });
});

describe('cargoCachePaths', () => {
  it('is the registry index and cache, git databases and the target directory', () => {
    expect(cargoCachePaths('/h/.cargo', '/w/target')).toEqual([
      '/h/.cargo/registry/index',
      '/h/.cargo/registry/cache',
      '/h/.cargo/git/db',
      '/w/target',
    ]);
  });
});

function fakeCache(o: { available?: boolean; hit?: string; fail?: string } = {}) {
  const calls: { op: string; paths: string[]; key: string; restoreKeys?: string[] }[] = [];
  const service: CacheService = {
    isFeatureAvailable: () => o.available ?? true,
    restoreCache: async (paths, key, restoreKeys) => {
      calls.push({ op: 'restore', paths, key, restoreKeys });
      if (o.fail) throw new Error(o.fail);
      return o.hit;
    },
    saveCache: async (paths, key) => {
      calls.push({ op: 'save', paths, key });
      if (o.fail) throw new Error(o.fail);
      return 1;
    },
  };
  return { service, calls };
}

const PLAN: CargoCachePlan = {
  ...cargoCacheKey(BASE),
  paths: cargoCachePaths('/h/.cargo', '/w/target'),
  targetDir: '/w/target',
  workspaceRoot: '/w',
};

describe('restoreCargoCache', () => {
  it('restores the plan with its key and fallbacks and records the match', async () => {
    const { service, calls } = fakeCache({ hit: PLAN.key });
    const s = await restoreCargoCache(PLAN, service, memoryLog());
    expect(calls).toEqual([{ op: 'restore', paths: PLAN.paths, key: PLAN.key, restoreKeys: PLAN.restoreKeys }]);
    expect(s).toEqual({ key: PLAN.key, paths: PLAN.paths, matchedKey: PLAN.key });
  });

  it('without a cache service restores nothing and says why', async () => {
    const { service, calls } = fakeCache({ available: false });
    const s = await restoreCargoCache(PLAN, service, memoryLog());
    expect(calls).toEqual([]);
    expect(s.unavailable).toMatch(/cache service is not available/);
    expect(s.matchedKey).toBeUndefined();
  });

  it('turns a failing restore into a warning and no match', async () => {
    const { service } = fakeCache({ fail: 'socket hang up' });
    const log = memoryLog();
    const s = await restoreCargoCache(PLAN, service, log);
    expect(s.matchedKey).toBeUndefined();
    expect(log.lines).toContainEqual(expect.stringMatching(/^warning: Cargo cache: restore failed.*socket hang up/));
  });
});

describe('saveCargoCache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cargo-cache-'));
  mkdirSync(join(dir, 'target'));
  const paths = [join(dir, 'registry', 'index'), join(dir, 'target')];

  it('does not save after an exact hit', async () => {
    const { service, calls } = fakeCache();
    expect(await saveCargoCache({ key: 'k', paths, matchedKey: 'k' }, service, memoryLog())).toBe(false);
    expect(calls).toEqual([]);
  });

  it('saves the directories that exist after a partial hit or a miss', async () => {
    const { service, calls } = fakeCache();
    expect(await saveCargoCache({ key: 'k', paths, matchedKey: 'k-old' }, service, memoryLog())).toBe(true);
    expect(calls).toEqual([{ op: 'save', paths: [join(dir, 'target')], key: 'k' }]);
  });

  it('saves nothing when no directory exists, or the service is unavailable, and never throws', async () => {
    const a = fakeCache();
    expect(await saveCargoCache({ key: 'k', paths: [join(dir, 'none')] }, a.service, memoryLog())).toBe(false);
    const b = fakeCache({ available: false });
    expect(await saveCargoCache({ key: 'k', paths }, b.service, memoryLog())).toBe(false);
    expect([...a.calls, ...b.calls]).toEqual([]);
    const log = memoryLog();
    expect(await saveCargoCache({ key: 'k', paths }, fakeCache({ fail: 'reserved' }).service, log)).toBe(false);
    expect(log.lines).toContainEqual(expect.stringMatching(/^warning: Cargo cache: save failed: reserved/));
  });
});
