import { join, resolve } from 'node:path';
import { errorLine, type Log } from '@wasm-build/kit';
import {
  type BuiltImage,
  checkLayoutDir,
  entrypointFor,
  type ImageRef,
  parseImageRef,
  type RunnableImage,
  readLayoutImage,
  sha256,
} from '@wasm-build/oci';
import type { SmokeResult } from '@wasm-build/smoke';
import { type BinaryenRelease, isThreadsTarget, type OptimizeResult, resolveManifestPath } from '@wasm-build/toolchain';
import type { VerifyDocument } from '@wasm-build/wasm';
import { keyValues, type PipelineOptions, smokeExpectations } from './options.ts';
import { StageFailed, type StageRow, StageRunner } from './stages.ts';
import { type AttachedStatement, attachStep, readCrate, type StatementSources, workspacePath } from './steps/attach.ts';
import { buildStep, copyModule, optimizeStep } from './steps/build.ts';
import { askEarly, type EarlyAnswers } from './steps/early.ts';
import {
  imageStep,
  type PushStepOptions,
  type PushSummary,
  pushOptions,
  pushStep,
  tagOptions,
  tagStep,
} from './steps/image.ts';
import { setupStep } from './steps/setup.ts';
import { machineTools, smokeStep, type ToolSources } from './steps/smoke.ts';
import { enforceChecks, verifyDetail, verifyModule } from './steps/verify.ts';
import { readModule } from './verify-bytes.ts';

export interface PipelineResult {
  ok: boolean;
  rows: StageRow[];
  /** The one-line error of the stage that failed. */
  error?: string;
  wasmPath?: string;
  wasmSize?: number;
  wasmSha256?: string;
  /** wasm-opt's sizes before and after, when optimize ran. */
  optimize?: OptimizeResult;
  /** The verify document: report, checks and runtime fit (schemas/verify-report.v1.json). */
  report?: VerifyDocument;
  layoutDir?: string;
  /** The image as built (manifest, config, layer, entrypoint). */
  image?: BuiltImage;
  /** Manifest digest of the image as built. */
  digest?: string;
  /** Pushed reference pinned by digest, the backend and why, bytes uploaded, tags, and what the registry served. */
  pushed?: PushSummary;
  /** The statements attached to the pushed image as OCI referrers (provenance, SBOM), with their manifest digests. */
  attached?: AttachedStatement[];
  smoke: SmokeResult[];
}

/**
 * Runs the whole job: setup (toolchain and target), build (cargo), optimize (wasm-opt), verify (decode, report,
 * checks), image (OCI layout), push by digest with read-back, a smoke test of the module as the registry serves
 * it, and only then the tags (read back again, then PUT; with the smoke test off, right after the push). A failing
 * stage leaves no tag. `extra.writeTags: false` skips the tags (a release's promote job writes them later). Never
 * throws for a user problem: the failing stage's row and `error` say what went wrong.
 */
export async function runPipeline(
  o: PipelineOptions,
  log: Log,
  extra: {
    binaryen?: BinaryenRelease;
    tools?: Partial<ToolSources>;
    writeTags?: boolean;
    /** Runs after setup and before build, with the toolchain and target setup resolved (the root action's cache). */
    afterSetup?: (setup: import('./steps/setup.ts').SetupResult, manifestPath: string) => Promise<void>;
  } = {},
): Promise<PipelineResult> {
  const stages = new StageRunner(log);
  const result: PipelineResult = { ok: false, rows: stages.rows, smoke: [] };
  const workDir = resolve(o.workDir);
  // Stops what was started ahead for a later stage (the registry's login) when the job ends before it.
  const ahead = new AbortController();
  try {
    // Parse the reference before any work, so a malformed one fails first.
    const ref: ImageRef | undefined = o.image ? parseImageRef(o.image) : undefined;
    const manifestPath = resolveManifestPath(o.manifestPath);
    // A layout path that is not ours to replace (a crate, a home directory) fails now, not after the build.
    const layoutDir = resolve(o.layoutDir ?? join(workDir, 'oci-layout'));
    checkLayoutDir(layoutDir);
    const setup = await stages.run('setup', () =>
      setupStep(
        { manifestPath, toolchain: o.toolchain, target: o.target, threads: o.threads, binaryen: extra.binaryen },
        log,
      ),
    );
    await extra.afterSetup?.(setup, manifestPath);
    const { tc, target } = setup;
    const wasmOptPath = o.wasmOpt ?? setup.wasmOpt;
    let early: EarlyAnswers | undefined;
    const built = await stages.run('build', () => {
      const building = buildStep(
        tc,
        { manifestPath, target, profile: o.profile, package: o.package, bin: o.bin, features: o.features },
        log,
      );
      // What later stages ask of git, wasm-opt, the push backend and the registry, answered while cargo runs: asked once cargo has
      // started (exec.run spawns before its first await), as each process start holds this thread for milliseconds;
      // and after setup, whose rustc runs would share the CPU with them, and which installs binaryen.
      early = askEarly({
        manifestPath,
        wasmOpt: o.optimize ? (wasmOptPath ?? 'wasm-opt') : undefined,
        push: ref && { ...o, ref },
        signal: ahead.signal,
      });
      return building;
    });

    const finalPath = join(workDir, `${built.name}.wasm`);
    if (o.optimize) {
      const wasmOpt = {
        path: wasmOptPath,
        level: o.optLevel,
        extraArgs: o.wasmOptArgs,
        info: early?.wasmOpt,
      };
      result.optimize = await stages.run('optimize', () => optimizeStep(built.wasmPath, finalPath, wasmOpt, log));
    } else {
      copyModule(built.wasmPath, finalPath);
      stages.skip('optimize', 'optimize is off');
    }

    // After a build every crate is on disk: cargo metadata runs --offline. Read now, while the later stages run, for
    // the attach stage (which reports its failure): after wasm-opt, whose threads it would otherwise share the CPU with.
    const cargo: StatementSources['cargo'] = {
      command: tc.cargo,
      env: tc.env,
      manifestPath,
      packageId: built.packageId,
      target,
      offline: true,
    };
    const crate = ref && (o.provenance || o.sbom) ? readCrate(cargo) : undefined;
    crate?.catch(() => {});

    // Read once into the buffer the fast decoder scans in place (readModule); the image and push reuse it.
    const wasm = readModule(finalPath);
    result.wasmPath = finalPath;
    result.wasmSize = wasm.length;
    result.wasmSha256 = sha256(wasm);
    const doc = await stages.run('verify', async () => {
      result.report = await verifyModule(wasm, finalPath, {
        require: o.require,
        forbid: o.forbid,
        maxSize: o.maxSize,
        entrypoint: entrypointFor(built.name),
        threadsTarget: isThreadsTarget(target) ? target : undefined,
      });
      const report = result.report;
      enforceChecks(report.checks, log);
      return { value: report, detail: verifyDetail(report), bytes: wasm.length };
    });

    const tag = ref?.tag ?? 'latest';
    const image = await stages.run('image', () =>
      imageStep({
        wasm,
        name: built.name,
        manifestPath,
        annotations: keyValues(o.annotations),
        labels: keyValues(o.labels),
        layoutDir,
        tag,
        log,
        facts: early?.source,
      }),
    );
    result.layoutDir = layoutDir;
    result.image = image;
    result.digest = image.manifest.digest;

    // The image as the registry serves it, fetched only if the smoke test runs (its layer downloaded once, then).
    let servedImage: (() => Promise<RunnableImage>) | undefined;
    // Push by digest only: the tags are written after the smoke test passed (release.yml's promote job does the same),
    // so a failing smoke test leaves no tag on a broken image.
    let push: PushStepOptions | undefined;
    if (ref) {
      const { runnable: served, ...proof } = await stages.run('push', () => {
        // Inside the stage: a tag of another repository fails the push row, before any upload.
        push = pushOptions(o, { layoutDir, tag, ref, image, wasm, name: built.name });
        return pushStep({ ...push, tags: [], choice: early?.backend, registry: early?.registry }, log);
      });
      result.pushed = proof;
      servedImage = served;
    } else stages.skip('push', 'no image reference given');

    if (o.smoke) {
      const expectations = smokeExpectations(o);
      const pushed = result.pushed;
      await stages.run('smoke-test', async () => {
        // Run what the registry serves (the image the push's read-back proved); without a push, the layout.
        const runnable = servedImage ?? (() => readLayoutImage(layoutDir, tag));
        const tools = machineTools(
          { ...extra.tools, install: extra.tools?.install ?? process.env.GITHUB_ACTIONS === 'true' },
          log,
        );
        const source = pushed ? `pulled ${pushed.ref}` : `from ${layoutDir}`;
        const step = await smokeStep(
          runnable,
          doc,
          {
            runtimes: o.runtimes,
            allowIncompatible: o.allowIncompatible,
            expectations,
            preopen: o.preopen,
            tools,
            moduleSha256: result.wasmSha256,
          },
          source,
          log,
        );
        result.smoke = step.value;
        if (step.failure) throw step.failure;
        return step;
      });
    } else stages.skip('smoke-test', 'smoke is off');

    const pushed = result.pushed;
    const made = push as PushStepOptions | undefined;
    // Provenance and SBOM beside the image (OCI referrers), once the smoke test has run what the registry serves;
    // before the tags, so that a failure here leaves no tag either.
    if (ref && made && pushed && (o.provenance || o.sbom)) {
      const v = tc.version;
      result.attached = await stages.run('attach', () =>
        attachStep(
          {
            ref,
            subject: pushed.subject,
            provenance: o.provenance,
            sbom: o.sbom,
            created: image.created,
            insecure: made.insecure,
            username: made.username,
            password: made.password,
            crate,
            sources: {
              source: image.source,
              cargo,
              provenance: {
                module: { name: built.name, sha256: image.wasmDigest },
                build: {
                  manifestPath: workspacePath(manifestPath),
                  package: o.package,
                  bin: o.bin,
                  target,
                  profile: o.profile,
                  features: o.features,
                },
                optimize: result.optimize ? { level: o.optLevel, args: o.wasmOptArgs } : undefined,
                tools: {
                  // A toolchain directory names this machine (/home/me/.rustup/…): only rustc's version says it.
                  toolchain: tc.spec && !/[\\/]/.test(tc.spec) ? tc.spec : undefined,
                  rustc: `${v.major}.${v.minor}.${v.patch}`,
                  host: tc.host,
                  wasmOpt: result.optimize?.version,
                },
                verifyReport: doc,
              },
            },
          },
          log,
        ),
      );
    } else stages.skip('attach', ref ? 'provenance and sbom are off' : 'no image reference given');

    if (ref && made && pushed) {
      if (extra.writeTags === false) stages.skip('tag', `pushed by digest only; promote ${pushed.ref} to tag it`);
      else {
        pushed.tags = await stages.run('tag', () => tagStep(tagOptions(made, pushed, image), log));
      }
    }
    result.ok = true;
  } catch (e) {
    if (!(e instanceof StageFailed)) {
      // A failure outside a stage (option parsing): record it the same way.
      result.error = errorLine(e);
      return result;
    }
    result.error = stages.error;
  } finally {
    ahead.abort();
  }
  return result;
}
