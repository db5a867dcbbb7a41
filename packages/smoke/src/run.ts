import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorLine, exec, type Log, UserError } from '@wasm-build/kit';
import { entrypointModule, type RunnableImage, sha256 } from '@wasm-build/oci';
import type { Runtime, VerifyDocument } from '@wasm-build/wasm';
import { bundleConfig, type CrunHost, crunRunCommands } from './crun.ts';
import { judge, reconcile } from './judge.ts';
import { runUnderNode } from './node-runner.ts';
import { classifyCrun, classifyUnmeasured, classifyWasmEdge } from './outcome.ts';
import type { SmokeExpectations, SmokeResult } from './types.ts';
import { removeTree, resolveInRootfs, unpackLayers } from './unpack.ts';
import { type WasmRun, wasmedgeCommand, wasmtimeCommand } from './wasm-cli.ts';

/** A runtime's binary, or why it cannot be had here (the result is then `skipped` with that reason). */
export type Resolved<T> = T | { skip: string };

/** How each runtime's tool is found: a given path, PATH, or an install (decided by the caller). */
export interface RuntimeTools {
  wasmedge(): Promise<Resolved<{ path: string; libDir?: string }>>;
  wasmtime(): Promise<Resolved<{ path: string }>>;
  crun(): Promise<Resolved<CrunHost>>;
}

export interface SmokePlan {
  image: RunnableImage;
  /** verify's document for the module the image runs: its memories, and the runtime fit the runs are held to. */
  report: VerifyDocument;
  /**
   * `sha256:<hex>` of the bytes verify checked (`report`): the file the image runs must be byte-identical to them.
   * Default: the sha256 of `entrypointModule(image)` (what the smoke-test action verifies).
   */
  moduleSha256?: string;
  runtimes: Runtime[];
  expectations: SmokeExpectations;
  /** A host directory preopened for the module (WASI `--dir`, a bind mount under crun). */
  preopen?: { host: string; guest: string };
  tools: RuntimeTools;
}

const isSkip = <T extends object>(r: Resolved<T>): r is { skip: string } => 'skip' in r;

/**
 * A runtime that could not be had where it should have been (an install or a build failed): a `fail` with why, so
 * the step does not pass on a runtime it never ran. Only user errors (download, checksum, build) become rows.
 */
function unavailable(id: Runtime, e: unknown): SmokeResult {
  if (!(e instanceof UserError)) throw e;
  const fix = e.fix ? ` ${e.fix}` : '';
  return {
    runtime: id,
    status: 'fail',
    stdout: '',
    stderr: '',
    durationMs: 0,
    reason: `${id} could not be had here: ${e.message}.${fix}`,
  };
}

/**
 * Smoke-tests an image under each runtime asked for: unpacks its layers safely into a rootfs, takes the process from
 * the config (Entrypoint + Cmd, or Entrypoint + the expectations' args; Env then the expectations' env), and runs
 * it under every runtime asked for, those runtime fit says cannot run it included, so the run proves or disproves
 * the fit (`reconcile`: `incompatible` when it failed as predicted, `mismatch` when it contradicts the prediction).
 * argv[0] (relative to WorkingDir when not absolute) is followed inside the rootfs as the kernel would
 * (`resolveInRootfs`), and the file it names must hash to `moduleSha256`: what runs is what verify checked.
 * A runtime whose tool cannot be had is `skipped` with why. Results keep the order of `runtimes`. The temp dir is
 * removed afterwards, read-only directories included; a failure to remove it is a warning, never the result.
 * @throws UserError from unpackLayers (a refused layer); when argv[0] leads outside the rootfs, is missing or is not
 * a regular file; when its bytes are not the verified module's; or when a runtime's binary is missing.
 */
export async function smokeImage(p: SmokePlan, log: Log): Promise<SmokeResult[]> {
  const dir = mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), 'wasm-build-smoke-'));
  try {
    const rootfs = join(dir, 'rootfs');
    await unpackLayers(p.image.layers, rootfs);
    const e = p.expectations;
    const argv = e.args?.length ? [...p.image.entrypoint, ...e.args] : [...p.image.entrypoint, ...p.image.cmd];
    const env = [...p.image.env, ...Object.entries(e.env ?? {}).map(([k, v]) => `${k}=${v}`)];
    const module = await verifiedModule(p, rootfs, argv[0]);
    const results: SmokeResult[] = [];
    for (const id of p.runtimes) {
      const fit = p.report.runtimes.find((f) => f.runtime === id)!;
      const flags = fit.status === 'needs-flag' ? fit.flags : [];
      const run: WasmRun = { module, args: argv.slice(1), env, flags, preopen: p.preopen };
      log.info(`smoke-test under ${id} (runtime fit: ${fit.status}): ${[...flags, ...argv].join(' ')}`);
      results.push(reconcile(await runOne(id, run, argv, env, p, dir).catch((e) => unavailable(id, e)), fit));
    }
    return results;
  } finally {
    try {
      removeTree(dir);
    } catch (e) {
      log.warn(`smoke-test: could not remove the temp dir ${dir}: ${errorLine(e)}`);
    }
  }
}

/**
 * The host path of the module argv[0] names in the unpacked rootfs (symlinks followed inside it, as the container's
 * kernel would), after checking that its bytes are the ones verify checked.
 * @throws UserError when there is no argv[0], it cannot be followed to a regular file inside the rootfs, or its
 * sha256 differs from `p.moduleSha256` (default: that of `entrypointModule(p.image)`).
 */
async function verifiedModule(p: SmokePlan, rootfs: string, argv0: string | undefined): Promise<string> {
  if (!argv0) {
    throw new UserError(`Image ${p.image.digest} has no Entrypoint or Cmd: nothing to run`, {
      fix: 'Build the image with wasm-build image (Entrypoint /<name>.wasm)',
    });
  }
  // A relative argv[0] is looked up from WorkingDir, as the engine's exec would; never normalised lexically.
  const path = argv0.startsWith('/') ? argv0 : `${p.image.workingDir ?? '/'}/${argv0}`;
  const what = `Image ${p.image.digest} runs ${JSON.stringify(argv0)}`;
  const module = resolveInRootfs(rootfs, path, what);
  const want = p.moduleSha256 ?? sha256(await entrypointModule(p.image));
  const got = sha256(readFileSync(module));
  if (got !== want) {
    throw new UserError(
      `${what}, whose bytes (${got}, at /${module.slice(rootfs.length + 1)}) are not the module verify checked (${want})`,
      {
        fix: 'A symlink or a later layer replaces the verified module; rebuild the image with wasm-build image, whose only layer holds the module',
      },
    );
  }
  return module;
}

async function runOne(
  id: Runtime,
  run: WasmRun,
  argv: string[],
  env: string[],
  p: SmokePlan,
  dir: string,
): Promise<SmokeResult> {
  const e = p.expectations;
  const skipped = (reason: string): SmokeResult => ({
    runtime: id,
    status: 'skipped',
    stdout: '',
    stderr: '',
    durationMs: 0,
    reason,
  });
  switch (id) {
    case 'node': {
      const envObj = Object.fromEntries(env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      return runUnderNode(
        readFileSync(run.module),
        argv[0],
        p.report,
        { ...e, args: run.args, env: envObj },
        p.preopen,
      );
    }
    case 'wasmedge': {
      const t = await p.tools.wasmedge();
      return isSkip(t)
        ? skipped(t.skip)
        : judge(id, wasmedgeCommand(t.path, run, t.libDir), e, { classify: classifyWasmEdge });
    }
    case 'wasmtime': {
      const t = await p.tools.wasmtime();
      return isSkip(t) ? skipped(t.skip) : judge(id, wasmtimeCommand(t.path, run), e, { classify: classifyUnmeasured });
    }
    case 'crun-wasmedge': {
      const host = await p.tools.crun();
      if (isSkip(host)) return skipped(host.skip);
      const spec = { args: argv, env, cwd: p.image.workingDir, annotations: p.image.annotations, preopen: p.preopen };
      return runBundle(id, host, dir, spec, e);
    }
  }
}

/**
 * Runs an OCI bundle (`DIR/config.json`, written here, and `DIR/rootfs`) under crun with the expectations' timeout, and always removes
 * the container (`crun delete --force`), even after a timeout kill. Exported for tests that run a native payload
 * (`native`: its exit status is its own).
 */
export async function runBundle(
  runtime: string,
  host: CrunHost,
  dir: string,
  spec: Parameters<typeof bundleConfig>[0],
  e: SmokeExpectations,
  /** A native payload (tests): its exit status is its own, and there are no WasmEdge errors to read. */
  native = false,
): Promise<SmokeResult> {
  writeFileSync(join(dir, 'config.json'), JSON.stringify(bundleConfig(spec), null, 2));
  const id = `wasm-build-${process.pid}-${Date.now().toString(36)}`;
  const { run, remove } = crunRunCommands(host, dir, id);
  return judge(runtime, run, e, {
    // crun with the WasmEdge handler exits 0 after proc_exit(N): the status is not the module's.
    classify: native ? classifyUnmeasured : classifyCrun,
    exitCodes: native,
    cleanup: async () => {
      await exec.run(remove).catch(() => undefined);
    },
  });
}
