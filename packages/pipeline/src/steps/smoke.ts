import { exec, type Log, UserError } from '@wasm-build/kit';
import type { RunnableImage } from '@wasm-build/oci';
import {
  type CrunHost,
  hasHybridCgroups,
  type Resolved,
  type RuntimeTools,
  type SmokeExpectations,
  type SmokeResult,
  smokeImage,
} from '@wasm-build/smoke';
import {
  buildCrunWithWasmEdge,
  CRUN_DEFAULT_VERSION,
  crunHasWasmEdge,
  installWasmEdge,
  installWasmtime,
  WASMEDGE_DEFAULT_VERSION,
  WASMTIME_DEFAULT_VERSION,
  type WasmEdgeInstall,
} from '@wasm-build/toolchain';
import type { Runtime, VerifyDocument } from '@wasm-build/wasm';
import { parsePreopen } from '../preopen.ts';
import type { StepOutcome } from './outcome.ts';

/** Where each runtime comes from: a path, else PATH, else (with `install`) its release. */
export interface ToolSources {
  wasmedge?: string;
  wasmtime?: string;
  crun?: string;
  wasmedgeVersion?: string;
  wasmedgeSha256?: string;
  /** Token for GitHub's releases API (the github-token input). */
  githubToken?: string;
  wasmtimeVersion?: string;
  crunVersion?: string;
  /** Download runtimes that are not on the machine (true under GitHub Actions; the CLI only uses what is there). */
  install: boolean;
}

async function versionOf(command: string, args = ['--version']): Promise<string | undefined> {
  const r = await exec.run({ command, args }).catch(() => undefined);
  return r?.exitCode === 0 ? r.stdout.trim() || r.stderr.trim() : undefined;
}

/**
 * Resolves the runtimes' tools for `smokeImage`: a path given, else the binary on PATH, else (when `install`) the
 * release through the tool cache; crun must show `+WASM:wasmedge`, else it is built from source against the
 * installed WasmEdge (cached by both versions). What cannot be had is a skip with the reason.
 */
export function machineTools(s: ToolSources, log: Log): RuntimeTools {
  type WasmEdge = { path: string; libDir?: string; release?: WasmEdgeInstall & { version: string } };
  let wasmedge: Promise<Resolved<WasmEdge>> | undefined;
  const getWasmEdge = () => {
    wasmedge ??= (async (): Promise<Resolved<WasmEdge>> => {
      const path = s.wasmedge ?? 'wasmedge';
      if (await versionOf(path)) return { path };
      if (!s.install)
        return { skip: `no ${path} on PATH (the GitHub action installs WasmEdge; here install it or pass its path)` };
      const version = s.wasmedgeVersion ?? WASMEDGE_DEFAULT_VERSION;
      const i = await installWasmEdge({ version, sha256: s.wasmedgeSha256, token: s.githubToken }, log);
      return { path: i.wasmedge, libDir: i.libDir, release: { ...i, version } };
    })();
    return wasmedge;
  };
  const root = process.getuid?.() === 0;
  return {
    wasmedge: getWasmEdge,
    wasmtime: async () => {
      const path = s.wasmtime ?? 'wasmtime';
      if (await versionOf(path)) return { path };
      if (!s.install)
        return { skip: `no ${path} on PATH (the GitHub action installs wasmtime; here install it or pass its path)` };
      const i = await installWasmtime(
        { version: s.wasmtimeVersion ?? WASMTIME_DEFAULT_VERSION, token: s.githubToken },
        log,
      );
      return { path: i.wasmtime };
    },
    crun: async (): Promise<Resolved<CrunHost>> => {
      const path = s.crun ?? 'crun';
      const host = (crun: string): CrunHost => ({ crun, sudo: !root, hybridCgroups: hasHybridCgroups() });
      const v = await versionOf(path);
      if (v && crunHasWasmEdge(v)) return host(path);
      const found = v
        ? `${path} (${v.split('\n')[0]}) has no WasmEdge handler: crun --version lacks +WASM:wasmedge`
        : `no ${path} on PATH`;
      if (!s.install) return { skip: found };
      const w = await getWasmEdge();
      if ('skip' in w || !w.release) {
        return { skip: `${found}; building crun needs WasmEdge's release (headers and library), not one on PATH` };
      }
      log.info(`${found}: building crun ${s.crunVersion ?? CRUN_DEFAULT_VERSION} --with-wasmedge`);
      const version = s.crunVersion ?? CRUN_DEFAULT_VERSION;
      const b = await buildCrunWithWasmEdge({ version, wasmedge: w.release, sudo: !root }, log);
      return host(b.crun);
    },
  };
}

// In its own module so that options.ts (loaded by `wasm-build --help`) does not load the runtime installers.
export { parsePreopen };

export interface SmokeStepOptions {
  runtimes: Runtime[];
  allowIncompatible: Runtime[];
  expectations: SmokeExpectations;
  preopen?: string;
  tools: RuntimeTools;
  /** `sha256:<hex>` of the module verify checked: the file the smoke test runs must hash to it. */
  moduleSha256?: string;
}

/** True when a result belongs to runtime `id` (the node runner labels itself `node vX.Y.Z`). */
function isRuntime(r: SmokeResult, id: Runtime): boolean {
  return r.runtime === id || r.runtime.startsWith(`${id} `);
}

/**
 * The first result that fails the step, as a UserError with the runtime, status and reason: a `fail`, or an
 * `incompatible` runtime not listed in `allowIncompatible`. Skipped runtimes do not fail it.
 */
export function smokeFailure(results: SmokeResult[], allowIncompatible: Runtime[] = []): UserError | undefined {
  const r = results.find(
    (x) => x.status === 'fail' || (x.status === 'incompatible' && !allowIncompatible.some((id) => isRuntime(x, id))),
  );
  if (!r) return undefined;
  return new UserError(`${r.runtime}: ${r.status}: ${r.reason}`, {
    fix:
      r.status === 'incompatible'
        ? `This module cannot run there; rebuild without what it names, or add ${r.runtime.split(' ')[0]} to allow-incompatible`
        : undefined,
  });
}

/**
 * The smoke-test step: runs the image (as the registry served it, or from the layout) under each runtime and checks
 * exit code and stdout. `image` may be a loader (the push's `runnable`): it is called here, once, so the layer is
 * downloaded only when a smoke test runs it (checked against its digest and size as a pull does). A run that
 * contradicts verify's runtime fit is a warning (the fit is wrong; the run counts). The results are returned even
 * when one fails (`failure` says which).
 * @throws UserError from the loader (the registry's, or a layer of another size or digest).
 */
export async function smokeStep(
  served: RunnableImage | (() => Promise<RunnableImage>),
  report: VerifyDocument,
  o: SmokeStepOptions,
  source: string,
  log: Log,
): Promise<StepOutcome<SmokeResult[]> & { failure?: UserError }> {
  const image = typeof served === 'function' ? await served() : served;
  const results = await smokeImage(
    {
      image,
      report,
      runtimes: o.runtimes,
      expectations: o.expectations,
      preopen: parsePreopen(o.preopen),
      tools: o.tools,
      moduleSha256: o.moduleSha256,
    },
    log,
  );
  for (const r of results.filter((x) => x.mismatch)) {
    log.warn(
      `${r.runtime}: ${r.mismatch}. The runtime fit is wrong here and the run's outcome counts; please report it.`,
    );
  }
  return {
    value: results,
    failure: smokeFailure(results, o.allowIncompatible),
    detail: `${results.map((r) => `${r.runtime}: ${r.status}${r.exitCode !== undefined ? ` (exit ${r.exitCode})` : ''}`).join('; ')} (${source})`,
  };
}
