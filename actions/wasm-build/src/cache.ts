// The root action's cargo cache around the pipeline: restored after setup (so the key is the toolchain actually
// used), saved by post.ts. The only file of the action that talks to @actions/cache.
import * as cache from '@actions/cache';
import * as core from '@actions/core';
import { errorLine, type Log } from '@wasm-build/kit';
import type { SetupResult } from '@wasm-build/pipeline';
import {
  CARGO_CACHE_STATE,
  type CacheService,
  type CargoCacheState,
  planCargoCache,
  restoreCargoCache,
  saveCargoCache,
} from '@wasm-build/pipeline';

/** @actions/cache as the cache functions take it. */
export const actionsCache: CacheService = {
  isFeatureAvailable: () => cache.isFeatureAvailable(),
  restoreCache: (paths, key, restoreKeys) => cache.restoreCache(paths, key, restoreKeys),
  saveCache: (paths, key) => cache.saveCache(paths, key),
};

/**
 * The `afterSetup` hook of runPipeline: computes the key from the toolchain and target setup resolved, logs it,
 * restores the cache and keeps the state for the post step (`core.saveState`). Never throws: a cache that cannot
 * be planned or restored is a warning and the build goes on without it.
 */
export function restoreHook(log: Log, service: CacheService = actionsCache) {
  return (setup: SetupResult, manifestPath: string): Promise<void> =>
    core.group('Restore cargo cache', async () => {
      try {
        const plan = await planCargoCache(setup.tc, { manifestPath, target: setup.target }, log);
        core.info(`Cargo cache key: ${plan.key}`);
        const { unavailable, ...state } = await restoreCargoCache(plan, service, log);
        if (unavailable) core.notice(unavailable);
        core.saveState(CARGO_CACHE_STATE, JSON.stringify(state));
      } catch (e) {
        core.warning(`Cargo cache off for this run: ${errorLine(e)}`);
      }
    });
}

/** The post step: saves the cache the main step planned, unless it was an exact hit. Never throws. */
export async function saveFromState(log: Log, service: CacheService = actionsCache): Promise<void> {
  const raw = core.getState(CARGO_CACHE_STATE);
  if (!raw) {
    core.debug('Cache.saveFromState: no cargo cache state (cache off, or main stopped before setup)');
    return;
  }
  let state: CargoCacheState;
  try {
    state = JSON.parse(raw) as CargoCacheState;
  } catch (e) {
    core.warning(`Cargo cache not saved: its state is not JSON: ${errorLine(e)}`);
    return;
  }
  await core.group('Save cargo cache', () => saveCargoCache(state, service, log));
}
