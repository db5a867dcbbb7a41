import { createHash } from 'node:crypto';
import { UserError } from '@wasm-build/kit';
import { publicSourceUrl } from './metadata.ts';

/** `_type` of an in-toto Statement v1. Source: in-toto/attestation spec/v1/statement.md. */
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

/** `predicateType` of SLSA Provenance v1. Source: https://slsa.dev/spec/v1.0/provenance. */
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';

/**
 * Our `buildDefinition.buildType`: "a wasm-build pipeline run, v1". The page it names describes it as this module
 * does (see `provenanceStatement`): `externalParameters` are the options a user gives (crate, target, profile,
 * features, wasm-opt level and arguments), `internalParameters` what the machine resolved (toolchain, rustc and
 * wasm-opt versions), `resolvedDependencies` the Cargo.lock and the source commit. A change to that meaning gets a
 * new URL (`.../build-type-v2.md`), never an edit of this one.
 */
export const WASM_BUILD_BUILD_TYPE = 'https://github.com/org/wasm-build/blob/v1/docs/build-type.md';

/**
 * Our `buildDefinition.buildType` for the image action alone: a module built elsewhere (another step, another job)
 * packed as a wasi/wasm image. Its `externalParameters` hold only the module's path in the image; nothing of the
 * build is claimed.
 */
export const WASM_BUILD_IMAGE_BUILD_TYPE = 'https://github.com/org/wasm-build/blob/v1/docs/build-type.md#image-only';

/**
 * `runDetails.builder.id` when the pipeline runs outside GitHub Actions (the CLI on a workstation or another CI): the
 * machine is not a build platform anyone has vouched for, and the id says so. On Actions the id is the workflow.
 */
export const WASM_BUILD_LOCAL_BUILDER = 'https://github.com/org/wasm-build/blob/v1/docs/build-type.md#local-builder';

/** `mediaType` of the verify report in `byproducts` (schemas/verify-report.v1.json). */
export const VERIFY_REPORT_MEDIA_TYPE = 'application/vnd.wasm-build.verify-report.v1+json';

/** What `provenanceStatement` records. Digests are `sha256:<64 lowercase hex>`; times are seconds since 1970. */
export interface ProvenanceInput {
  /**
   * The image as built and pushed: its repository reference without tag or digest (`ghcr.io/org/app`; the subject's
   * `name`, as `actions/attest-build-provenance` names an image) and its manifest digest. `name` is left out of the
   * subject when the image was not pushed anywhere.
   */
  image: { name?: string; digest: string };
  /** The module in the image: its name (the image runs `/<name>.wasm`, the subject's `name`) and sha256. */
  module: { name: string; sha256: string };
  /**
   * What the user asked for: `externalParameters`. `manifestPath` as the user gave it (e.g. `.` or `crates/app`),
   * never the absolute path of the machine, which would differ between two checkouts. Absent (the image action,
   * packing a module built elsewhere): buildType `WASM_BUILD_IMAGE_BUILD_TYPE`, and `externalParameters` names only
   * the module's path in the image.
   */
  build?: {
    manifestPath: string;
    package?: string;
    bin?: string;
    /** Rust target triple, e.g. `wasm32-wasip1`. */
    target: string;
    /** Cargo profile, e.g. `release`. */
    profile: string;
    /** Cargo features, as given. */
    features: string[];
  };
  /** wasm-opt's level (`z`, `3`, …) and extra arguments as given; absent when optimize was off. */
  optimize?: { level: string; args: string[] };
  /**
   * What the machine resolved: `internalParameters`. `toolchain` is the rustup toolchain or directory (absent: the
   * `cargo` on PATH); `rustc` its version (`1.63.0`); `host` its host triple; `wasmOpt` wasm-opt's version line
   * (`wasm-opt version 108`), absent when optimize was off.
   */
  tools?: { toolchain?: string; rustc: string; host?: string; wasmOpt?: string };
  /** sha256 of the crate's Cargo.lock; absent when it has none. */
  cargoLockSha256?: string;
  /**
   * The source, when known outside GitHub Actions (the CLI reads git: `sourceAnnotations`): a public repository URL
   * (credentials are dropped by `publicSourceUrl`) and the commit checked out (40 or 64 hex). On Actions,
   * GITHUB_SERVER_URL/GITHUB_REPOSITORY, GITHUB_SHA and GITHUB_REF replace all of it (the two are never mixed).
   */
  source?: { repository?: string; commit?: string };
  /**
   * The verify document (report, checks, runtime fit); its canonical JSON's sha256 goes into `byproducts`. Absent:
   * no byproducts (the image action does not verify).
   */
  verifyReport?: unknown;
  /** SOURCE_DATE_EPOCH, whole seconds since 1970 (0 when unset): `startedOn`. Never the wall clock. */
  sourceDateEpoch: number;
  /** wasm-build's version (`runDetails.builder.version["wasm-build"]`). */
  builderVersion: string;
  /**
   * The environment the run details come from (pass `process.env`): on GitHub Actions (`GITHUB_ACTIONS=true`)
   * GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_REF, GITHUB_WORKFLOW_REF, GITHUB_RUN_ID and
   * GITHUB_RUN_ATTEMPT; nothing else is read. Default: none (a local run).
   */
  env?: Record<string, string | undefined>;
}

const SHA256 = /^sha256:([a-f0-9]{64})$/;
const GIT_COMMIT = /^(?:[a-f0-9]{40}|[a-f0-9]{64})$/;
/** Latest time RFC 3339 can write with a four-digit year: 9999-12-31T23:59:59Z. */
const MAX_EPOCH = 253402300799;

/**
 * The SLSA Provenance v1 statement of one pipeline run, as canonical JSON bytes (`canonicalJson`): an in-toto
 * Statement v1 (`_type` https://in-toto.io/Statement/v1, `predicateType` https://slsa.dev/provenance/v1). Field names
 * are those of https://slsa.dev/spec/v1.0/provenance and in-toto/attestation spec/v1 (statement.md,
 * resource_descriptor.md, digest_set.md).
 *
 * - `subject`: the image manifest (`name` = `image.name`, the repository, digest sha256) and the module
 *   (`name` = `/<module.name>.wasm`, its path in the image, digest sha256). An image and a registry store match
 *   subjects by digest alone.
 * - `buildDefinition.buildType`: `WASM_BUILD_BUILD_TYPE`.
 * - `externalParameters`: `manifestPath`, `package`, `bin`, `target`, `profile`, `features`, and `wasmOpt`
 *   (`{level, args}`) only when optimize ran (absent = off).
 * - `internalParameters`: `toolchain`, `rustc`, `host`, `wasmOptVersion`.
 * - `resolvedDependencies`: `{name: "Cargo.lock", digest: {sha256}}`; the source as
 *   `{uri: "git+<repository>[@<ref>]", digest: {gitCommit}}` when the commit is known.
 * - `runDetails.builder`: `id` = `${GITHUB_SERVER_URL}/${GITHUB_WORKFLOW_REF}` on Actions (the workflow that ran
 *   the build; inside a called workflow, the caller's), else `WASM_BUILD_LOCAL_BUILDER`; `version` =
 *   `{"wasm-build": builderVersion}`.
 * - `runDetails.metadata`: `startedOn` = SOURCE_DATE_EPOCH as `YYYY-MM-DDTHH:MM:SSZ` (the source's time, not the
 *   wall clock, so that a rebuild gives the same bytes); `invocationId` =
 *   `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}/attempts/${GITHUB_RUN_ATTEMPT}` on
 *   Actions, absent elsewhere.
 * - `runDetails.byproducts`: the verify report, `{name: "verify-report.json", digest: {sha256}, mediaType}`, the
 *   sha256 of `canonicalJson(verifyReport)`. It is an output of the build, not an input, so it is a byproduct (SLSA:
 *   "additional artifacts generated during the build"), not a dependency.
 *
 * Reproducibility: the same input gives the same bytes. The only field that names the run, and so the only one two
 * builds of the same commit with the same SOURCE_DATE_EPOCH and options may differ in, is
 * `predicate.runDetails.metadata.invocationId` (GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT). `builder.id` names the
 * workflow and its ref, not the run; the resolved `rustc`, `host` and `wasmOptVersion` differ only on another
 * machine image.
 *
 * @throws Error for a malformed digest, commit, image name or epoch (internal: the pipeline computed them), naming
 *   the field and the value.
 */
export function provenanceStatement(input: ProvenanceInput): Uint8Array {
  const env = input.env ?? {};
  const onActions = env.GITHUB_ACTIONS === 'true';
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');

  const imageName = input.image.name;
  if (imageName !== undefined && !isRepositoryName(imageName)) {
    throw new Error(
      `provenanceStatement: image.name must be a repository without tag or digest (e.g. ghcr.io/org/app): got ${quote(imageName)}`,
    );
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(input.module.name)) {
    throw new Error(
      `provenanceStatement: module.name must be a file name without .wasm: got ${quote(input.module.name)}`,
    );
  }
  const subject = [
    { ...(imageName ? { name: imageName } : {}), digest: { sha256: hexOf(input.image.digest, 'image.digest') } },
    { name: `/${input.module.name}.wasm`, digest: { sha256: hexOf(input.module.sha256, 'module.sha256') } },
  ];

  const b = input.build;
  // Without `build` (the image action packs a module built in another step), nothing of the build is claimed.
  const externalParameters: Record<string, unknown> = b
    ? {
        manifestPath: b.manifestPath,
        ...(b.package ? { package: b.package } : {}),
        ...(b.bin ? { bin: b.bin } : {}),
        target: b.target,
        profile: b.profile,
        features: [...b.features],
        ...(input.optimize ? { wasmOpt: { level: input.optimize.level, args: [...input.optimize.args] } } : {}),
      }
    : { module: `/${input.module.name}.wasm` };
  const t = input.tools;
  const internalParameters: Record<string, unknown> = t
    ? {
        ...(t.toolchain ? { toolchain: t.toolchain } : {}),
        rustc: t.rustc,
        ...(t.host ? { host: t.host } : {}),
        ...(t.wasmOpt ? { wasmOptVersion: t.wasmOpt } : {}),
      }
    : {};

  const resolvedDependencies: Record<string, unknown>[] = [];
  if (input.cargoLockSha256 !== undefined) {
    resolvedDependencies.push({
      name: 'Cargo.lock',
      digest: { sha256: hexOf(input.cargoLockSha256, 'cargoLockSha256') },
    });
  }
  // One source, never mixed: GitHub's (repository, commit, ref) on Actions, else what the caller read from git.
  const fromEnv = onActions && !!env.GITHUB_REPOSITORY;
  const repoUrl = fromEnv ? `${server}/${env.GITHUB_REPOSITORY}` : input.source?.repository;
  const repository = repoUrl ? publicSourceUrl(repoUrl) : undefined;
  const commit = fromEnv ? env.GITHUB_SHA : input.source?.commit;
  if (commit !== undefined && !GIT_COMMIT.test(commit)) {
    throw new Error(`provenanceStatement: the source commit must be 40 or 64 lowercase hex: got ${quote(commit)}`);
  }
  if (commit) {
    const ref = fromEnv && env.GITHUB_REF ? `@${env.GITHUB_REF}` : '';
    resolvedDependencies.push({
      ...(repository ? { uri: `git+${repository}${ref}` } : { name: 'source' }),
      digest: { gitCommit: commit },
    });
  }

  const epoch = input.sourceDateEpoch;
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH) {
    throw new UserError(`SOURCE_DATE_EPOCH must be whole seconds from 0 to ${MAX_EPOCH}: got ${epoch}`, {
      fix: 'Set it to e.g. $(git log -1 --format=%ct)',
    });
  }
  const invocationId =
    onActions && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}/attempts/${env.GITHUB_RUN_ATTEMPT || '1'}`
      : undefined;
  const builderId =
    onActions && env.GITHUB_WORKFLOW_REF ? `${server}/${env.GITHUB_WORKFLOW_REF}` : WASM_BUILD_LOCAL_BUILDER;

  const statement = {
    _type: IN_TOTO_STATEMENT_V1,
    subject,
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: b ? WASM_BUILD_BUILD_TYPE : WASM_BUILD_IMAGE_BUILD_TYPE,
        externalParameters,
        internalParameters,
        resolvedDependencies,
      },
      runDetails: {
        builder: { id: builderId, version: { 'wasm-build': input.builderVersion } },
        metadata: { ...(invocationId ? { invocationId } : {}), startedOn: rfc3339(epoch) },
        ...(input.verifyReport === undefined
          ? {}
          : {
              byproducts: [
                {
                  name: 'verify-report.json',
                  digest: { sha256: sha256Hex(canonicalJson(input.verifyReport)) },
                  mediaType: VERIFY_REPORT_MEDIA_TYPE,
                },
              ],
            }),
      },
    },
  };
  return new TextEncoder().encode(canonicalJson(statement));
}

/**
 * `value` as canonical JSON: object keys sorted by UTF-16 code units, no whitespace, numbers as ECMAScript writes
 * them, object members whose value is `undefined` left out. For the values we write (strings, finite numbers,
 * booleans, null, arrays, plain objects) this is RFC 8785 (JSON Canonicalization Scheme), so the same value always
 * gives the same bytes and the same digest.
 * @throws Error for what JSON cannot hold (NaN, Infinity, bigint, functions, `undefined` in an array or at the top,
 *   objects that are not plain: Date, Map, typed arrays) or nesting deeper than 200, naming the path (`$.a[3]`).
 */
export function canonicalJson(value: unknown): string {
  return writeCanonical(value, '$', 0);
}

function writeCanonical(v: unknown, path: string, depth: number): string {
  if (depth > 200) throw new Error(`canonicalJson: ${path} is nested more than 200 levels deep (a cycle?)`);
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new Error(`canonicalJson: ${path} is ${v}, which JSON cannot hold`);
      return JSON.stringify(v);
    case 'object': {
      if (Array.isArray(v)) {
        return `[${v.map((x, i) => {
          if (x === undefined) throw new Error(`canonicalJson: ${path}[${i}] is undefined, which JSON cannot hold`);
          return writeCanonical(x, `${path}[${i}]`, depth + 1);
        })}]`;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new Error(
          `canonicalJson: ${path} is a ${proto?.constructor?.name ?? 'non-plain object'}, not a plain object`,
        );
      }
      const o = v as Record<string, unknown>;
      const members = Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${writeCanonical(o[k], `${path}.${k}`, depth + 1)}`);
      return `{${members.join(',')}}`;
    }
    default:
      throw new Error(`canonicalJson: ${path} is ${typeof v}, which JSON cannot hold`);
  }
}

/** `seconds` since 1970 as RFC 3339 UTC without fractions: `2026-12-02T00:00:00Z`. */
export function rfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hexOf(digest: string, field: string): string {
  const m = SHA256.exec(digest);
  if (!m) throw new Error(`provenanceStatement: ${field} must be sha256:<64 lowercase hex>: got ${quote(digest)}`);
  return m[1];
}

/** A repository reference without tag or digest: no whitespace, no `@`, no `:` after the last `/`. */
function isRepositoryName(name: string): boolean {
  return /^[^\s@/]+(?:\/[^\s@/:]+)+$/.test(name);
}

function quote(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v.slice(0, 200)) : String(v);
}
