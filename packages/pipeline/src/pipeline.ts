import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errorLine, type Log, UserError } from '@wasm-build/kit';
import {
  buildImage,
  entrypointFor,
  type ImageRef,
  parseImageRef,
  pushWithSkopeo,
  type ReadBackProof,
  readBack,
  sha256,
  sourceDateEpoch,
  writeLayout,
} from '@wasm-build/oci';
import { runUnderNode, type SmokeResult } from '@wasm-build/smoke';
import {
  cargoBuild,
  ensureTarget,
  findToolchain,
  isThreadsTarget,
  optimize,
  resolveManifestPath,
} from '@wasm-build/toolchain';
import {
  buildReport,
  type CheckResult,
  decodeModule,
  parseErrorFix,
  type RuntimeFit,
  runChecks,
  runtimeFit,
  type VerifyReport,
  WasmParseError,
} from '@wasm-build/wasm';
import { sourceAnnotations } from './metadata.ts';
import { keyValues, type PipelineOptions } from './options.ts';
import { StageFailed, type StageRow, StageRunner } from './stages.ts';

export interface PipelineResult {
  ok: boolean;
  rows: StageRow[];
  /** The one-line error of the stage that failed. */
  error?: string;
  wasmPath?: string;
  wasmSize?: number;
  wasmSha256?: string;
  report?: VerifyReport;
  checks?: CheckResult[];
  /** Whether WasmEdge, crun+WasmEdge, wasmtime and Node can run the module, and why. */
  runtimes?: RuntimeFit[];
  layoutDir?: string;
  /** Manifest digest of the image as built. */
  digest?: string;
  /** Pushed reference pinned by digest, and what the registry served back. */
  pushed?: Omit<ReadBackProof, 'wasm'>;
  smoke: SmokeResult[];
}

/**
 * Decodes a module and reports on it, turning decoder errors into a user error naming the file.
 * @throws UserError "PATH is not a valid WebAssembly module: …" with the byte offset.
 */
export function verifyBytes(bytes: Uint8Array, path: string): VerifyReport {
  try {
    return buildReport(decodeModule(bytes));
  } catch (e) {
    if (e instanceof WasmParseError) {
      throw new UserError(`${path} is not a valid WebAssembly module: ${e.message}`, {
        fix: parseErrorFix(e),
        cause: e,
      });
    }
    throw e;
  }
}

/**
 * Logs the warnings among `checks` and throws when any failed.
 * @throws UserError carrying every failed check's message (each has the evidence and the fix).
 */
export function enforceChecks(checks: CheckResult[], log: Log): void {
  for (const c of checks.filter((x) => x.status === 'warn')) log.warn(`${c.name}: ${c.message}`);
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length) throw new UserError(failed.map((c) => c.message).join(' '));
}

/**
 * Runs the whole job: setup (toolchain and target), build (cargo), optimize (wasm-opt), verify (decode, report,
 * checks), image (OCI layout), push (skopeo) with read-back, and a smoke test of the module as the registry
 * serves it. Never throws for a user problem: the failing stage's row and `error` say what went wrong.
 */
export async function runPipeline(o: PipelineOptions, log: Log): Promise<PipelineResult> {
  const stages = new StageRunner(log);
  const result: PipelineResult = { ok: false, rows: stages.rows, smoke: [] };
  const workDir = resolve(o.workDir);
  try {
    // Parse the reference before any work, so a malformed one fails first.
    const ref: ImageRef | undefined = o.image ? parseImageRef(o.image) : undefined;
    const manifestPath = resolveManifestPath(o.manifestPath);
    const { tc, target } = await stages.run('setup', async () => {
      const tc = await findToolchain(o.toolchain);
      const target = await ensureTarget(tc, { threads: o.threads, target: o.target }, log);
      const v = tc.version;
      return {
        value: { tc, target },
        detail: `rustc ${v.major}.${v.minor}.${v.patch} (${tc.spec ?? 'PATH'}), ${target}`,
      };
    });

    const built = await stages.run('build', async () => {
      const b = await cargoBuild(
        tc,
        { manifestPath, target, profile: o.profile, package: o.package, bin: o.bin, features: o.features },
        log,
      );
      const size = readFileSync(b.wasmPath).length;
      return { value: b, detail: `${b.name}.wasm from ${b.packageId.split(' ')[0] || b.name}`, bytes: size };
    });

    mkdirSync(workDir, { recursive: true });
    const finalPath = join(workDir, `${built.name}.wasm`);
    if (o.optimize) {
      await stages.run('optimize', async () => {
        const before = verifyBytes(readFileSync(built.wasmPath), built.wasmPath);
        const r = await optimize(
          built.wasmPath,
          finalPath,
          before,
          { path: o.wasmOpt, level: o.optLevel, extraArgs: o.wasmOptArgs },
          log,
        );
        const pct = ((1 - r.bytesAfter / r.bytesBefore) * 100).toFixed(1);
        return {
          value: r,
          detail: `${r.version}: ${r.bytesBefore} → ${r.bytesAfter} bytes (−${pct}%)`,
          bytes: r.bytesAfter,
        };
      });
    } else {
      copyFileSync(built.wasmPath, finalPath);
      stages.skip('optimize', 'optimize is off');
    }

    const wasm = readFileSync(finalPath);
    result.wasmPath = finalPath;
    result.wasmSize = wasm.length;
    result.wasmSha256 = sha256(wasm);
    const report = await stages.run('verify', async () => {
      const report = verifyBytes(wasm, finalPath);
      result.report = report;
      result.runtimes = runtimeFit(report);
      result.checks = runChecks(report, {
        require: o.require,
        forbid: o.forbid,
        maxSize: o.maxSize,
        entrypoint: entrypointFor(built.name),
        threadsTarget: isThreadsTarget(target) ? target : undefined,
      });
      enforceChecks(result.checks, log);
      const used = Object.entries(report.features)
        .filter(([, u]) => u.used)
        .map(([f]) => f);
      return {
        value: report,
        detail: `${report.wasi.version}; uses ${used.join(', ') || 'no proposals'}; ${report.atomics.total} atomics`,
        bytes: wasm.length,
      };
    });

    const tag = ref?.tag ?? 'latest';
    const layoutDir = resolve(o.layoutDir ?? join(workDir, 'oci-layout'));
    const image = await stages.run('image', async () => {
      const annotations = { ...(await sourceAnnotations(manifestPath)), ...keyValues(o.annotations) };
      const img = await buildImage({
        wasm,
        name: built.name,
        annotations,
        labels: keyValues(o.labels),
        created: sourceDateEpoch(),
      });
      writeLayout(img, layoutDir, tag);
      const total = [...img.blobs.values()].reduce((n, b) => n + b.length, 0);
      return {
        value: img,
        detail: `${img.manifest.digest} (wasi/wasm, ${img.entrypoint}) in ${layoutDir}`,
        bytes: total,
      };
    });
    result.layoutDir = layoutDir;
    result.digest = image.manifest.digest;

    let served: Buffer = wasm;
    if (ref) {
      const proof = await stages.run('push', async () => {
        await pushWithSkopeo({ layoutDir, layoutTag: tag, ref: { ...ref, tag }, insecure: o.insecure }, log);
        const p = await readBack(
          { ...ref, tag },
          { digest: image.manifest.digest, wasmDigest: image.wasmDigest, entrypoint: image.entrypoint },
          { insecure: o.insecure },
        );
        return { value: p, detail: `${p.ref} read back: digest, ${p.platform}, compat-smart, layer sha256 match` };
      });
      const { wasm: pulled, ...rest } = proof;
      result.pushed = rest;
      served = pulled;
    } else stages.skip('push', 'no image reference given');

    if (o.smoke) {
      const expectations = {
        args: o.smokeArgs,
        env: keyValues(o.smokeEnv),
        exitCode: o.expectExitCode,
        stdout: o.expectStdout,
        timeoutMs: o.timeoutMs,
      };
      result.smoke = await stages.run('smoke-test', async () => {
        const r = await runUnderNode(served, image.entrypoint, report, expectations);
        if (r.status !== 'pass') {
          throw new UserError(`${r.runtime}: ${r.status}: ${r.reason}`, {
            fix: r.status === 'incompatible' ? 'Smoke-test it under a runtime that supports it' : undefined,
          });
        }
        const firstLine = r.stdout.split('\n')[0];
        return {
          value: [r],
          detail: `${r.runtime}: exit ${r.exitCode}, stdout "${firstLine}"${ref ? ' (module as pulled)' : ''}`,
        };
      });
    } else stages.skip('smoke-test', 'smoke is off');
    result.ok = true;
  } catch (e) {
    if (!(e instanceof StageFailed)) {
      // A failure outside a stage (option parsing): record it the same way.
      result.error = errorLine(e);
      return result;
    }
    result.error = stages.error;
  }
  return result;
}
