// The root action's cargo cache: a key from the toolchain that setup resolved (not whatever rustc is on PATH),
// restored between setup and build, saved by the post step. Keys follow Swatinem/rust-cache's scheme in spirit:
// https://github.com/Swatinem/rust-cache/blob/master/src/config.ts (rustc -vV, build-affecting env, lockfiles).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { type Log, runOk } from '@wasm-build/kit';
import type { Toolchain } from '@wasm-build/toolchain';

/** What the cache key is made of; every field changes the key. */
export interface CargoCacheKeyInputs {
  /** Bumped when what is cached changes shape, e.g. `wasm-build-v2`. */
  prefix: string;
  /** `GITHUB_JOB`: jobs building different things do not overwrite each other's cache. */
  job: string;
  /** `process.platform`, `process.arch`. */
  os: string;
  arch: string;
  /** The full `rustc -vV` output of the toolchain used (release, commit hash, host, LLVM). */
  rustcVersion: string;
  /** The WASI target built for. */
  target: string;
  /** sha256 (hex) of the workspace's Cargo.lock; undefined when there is none. */
  lockSha256?: string;
  /** Environment variables that change what cargo builds (`buildEnv`). */
  env: Record<string, string>;
  /** cargo's real `target_directory`, relative to the workspace root when inside it. */
  targetDir: string;
}

export interface CargoCacheKey {
  /** Exact key: `<prefix>-<os>-<arch>-<job>-<target>-<toolchain/env hash>-<lock hash>`. */
  key: string;
  /**
   * Fallbacks, most specific first: the same toolchain, target and env with another Cargo.lock. Never another
   * toolchain's cache: its target directory would be rebuilt anyway and the stale files saved again.
   */
  restoreKeys: string[];
}

/** The `core.saveState` name the main step keeps `CargoCacheState` under, as JSON. */
export const CARGO_CACHE_STATE = 'cargo-cache';

/** Everything the post step needs to save the cache (kept with `core.saveState`). */
export interface CargoCacheState {
  key: string;
  paths: string[];
  /** The key the restore matched; equal to `key` on an exact hit (nothing to save then). */
  matchedKey?: string;
}

/** The plan for one job: key, fallbacks, and the directories cached. */
export interface CargoCachePlan extends CargoCacheKey {
  paths: string[];
  /** Absolute `target_directory` and `workspace_root` from `cargo metadata`. */
  targetDir: string;
  workspaceRoot: string;
}

/** The part of @actions/cache the cache uses, so tests can pass a fake. */
export interface CacheService {
  isFeatureAvailable(): boolean;
  restoreCache(paths: string[], key: string, restoreKeys?: string[]): Promise<string | undefined>;
  saveCache(paths: string[], key: string): Promise<number>;
}

const short = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/**
 * The cache key for `i`, a pure function: the same inputs always give the same key, and a different `rustc -vV`
 * (another toolchain), target, env or target directory gives another key and another restore prefix.
 */
export function cargoCacheKey(i: CargoCacheKeyInputs): CargoCacheKey {
  const env = Object.keys(i.env)
    .sort()
    .map((k) => `${k}=${i.env[k]}`)
    .join('\n');
  const toolchainHash = short(`${i.rustcVersion.trim()}\n--env--\n${env}\n--target-dir--\n${i.targetDir}`);
  const base = `${i.prefix}-${i.os}-${i.arch}-${i.job}-${i.target}-${toolchainHash}-`;
  return { key: `${base}${i.lockSha256 ? i.lockSha256.slice(0, 16) : 'nolock'}`, restoreKeys: [base] };
}

// rust-cache's ENV_PREFIXES; output-only variables and secrets are left out (a token must not reach a cache key).
const ENV_PREFIXES = ['CARGO', 'CC', 'CFLAGS', 'CXX', 'CMAKE', 'RUST'];
const ENV_IGNORED = /^(CARGO_HOME|CARGO_TERM_.*|RUSTUP_HOME|CARGO_BUILD_JOBS)$|TOKEN|SECRET|PASSWORD/;

/** The variables of `env` that change what cargo builds (RUSTFLAGS, CARGO_PROFILE_*, CC, …), sorted by name. */
export function buildEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(env).sort()) {
    const v = env[k];
    if (v !== undefined && ENV_PREFIXES.some((p) => k.startsWith(p)) && !ENV_IGNORED.test(k)) out[k] = v;
  }
  return out;
}

/** The directories cached: cargo's registry index and crate files, git checkouts' databases, and the target dir. */
export function cargoCachePaths(cargoHome: string, targetDir: string): string[] {
  return [
    join(cargoHome, 'registry', 'index'),
    join(cargoHome, 'registry', 'cache'),
    join(cargoHome, 'git', 'db'),
    targetDir,
  ];
}

/**
 * Computes the plan from the toolchain setup resolved: runs its `rustc -vV` and `cargo metadata --format-version 1
 * --no-deps` (for the real `target_directory` and `workspace_root`, right for a workspace member), and hashes the
 * workspace's Cargo.lock. `env` defaults to the process environment (GITHUB_JOB, CARGO_HOME, build variables).
 * @throws UserError (CommandError) when rustc or cargo metadata fails; Error when cargo's JSON lacks the fields.
 */
export async function planCargoCache(
  tc: Toolchain,
  o: { manifestPath: string; target: string; prefix?: string; env?: NodeJS.ProcessEnv },
  log: Log,
): Promise<CargoCachePlan> {
  const env = o.env ?? process.env;
  const rustc = await runOk({ ...tc.rustc, args: [...tc.rustc.args, '-vV'], env: tc.env }, 'rustc -vV');
  const meta = await runOk(
    {
      ...tc.cargo,
      args: [...tc.cargo.args, 'metadata', '--format-version', '1', '--no-deps', '--manifest-path', o.manifestPath],
      env: tc.env,
    },
    'cargo metadata',
  );
  const m = JSON.parse(meta.stdout) as { target_directory?: string; workspace_root?: string };
  if (!m.target_directory || !m.workspace_root) throw new Error('cargo metadata gave no target_directory');
  const lock = join(m.workspace_root, 'Cargo.lock');
  const lockSha256 = existsSync(lock) ? createHash('sha256').update(readFileSync(lock)).digest('hex') : undefined;
  const rel = relative(m.workspace_root, m.target_directory);
  const k = cargoCacheKey({
    prefix: o.prefix ?? 'wasm-build-v2',
    job: env.GITHUB_JOB ?? 'local',
    os: process.platform,
    arch: process.arch,
    rustcVersion: rustc.stdout,
    target: o.target,
    lockSha256,
    env: buildEnv(env),
    targetDir: rel && !rel.startsWith('..') ? rel : m.target_directory,
  });
  log.debug(
    `CargoCache.plan: key ${k.key} (target_directory ${m.target_directory}, Cargo.lock ${lockSha256 ?? 'none'})`,
  );
  const cargoHome = env.CARGO_HOME || join(homedir(), '.cargo');
  return {
    ...k,
    paths: cargoCachePaths(cargoHome, m.target_directory),
    targetDir: m.target_directory,
    workspaceRoot: m.workspace_root,
  };
}

/**
 * Restores the plan's directories. Never throws: without a cache service (a local run, GHES without caching) it
 * restores nothing and returns `unavailable` with the reason, for the caller's notice; a cache error is a warning,
 * as in rust-cache. Returns the state the post step saves with.
 */
export async function restoreCargoCache(
  plan: CargoCachePlan,
  cache: CacheService,
  log: Log,
): Promise<CargoCacheState & { unavailable?: string }> {
  const state: CargoCacheState = { key: plan.key, paths: plan.paths };
  if (!cache.isFeatureAvailable()) {
    return { ...state, unavailable: 'Cargo cache skipped: the Actions cache service is not available here' };
  }
  try {
    state.matchedKey = await cache.restoreCache([...plan.paths], plan.key, plan.restoreKeys);
    log.info(
      state.matchedKey
        ? `Cargo cache: restored ${state.matchedKey}${state.matchedKey === plan.key ? ' (exact hit)' : ''}`
        : `Cargo cache: no entry for ${plan.key}`,
    );
  } catch (e) {
    log.warn(`Cargo cache: restore failed, building without it: ${e instanceof Error ? e.message : String(e)}`);
  }
  return state;
}

/**
 * The post step: saves the state's directories under its key unless the restore was an exact hit or none of the
 * directories exists. Never throws; a failed save (e.g. another job reserved the key) is a warning.
 * Returns whether an entry was saved.
 */
export async function saveCargoCache(state: CargoCacheState, cache: CacheService, log: Log): Promise<boolean> {
  if (state.matchedKey === state.key) {
    log.info(`Cargo cache: exact hit on ${state.key}, not saving`);
    return false;
  }
  if (!cache.isFeatureAvailable()) {
    log.info('Cargo cache: not saved, the Actions cache service is not available here');
    return false;
  }
  const paths = state.paths.filter((p) => existsSync(p));
  if (!paths.length) {
    log.info('Cargo cache: nothing to save (no cargo home or target directory)');
    return false;
  }
  try {
    await cache.saveCache(paths, state.key);
    log.info(`Cargo cache: saved ${state.key}`);
    return true;
  } catch (e) {
    log.warn(`Cargo cache: save failed: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
}
