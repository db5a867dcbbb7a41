// The attach step: SLSA provenance and a CycloneDX SBOM pushed beside the image as OCI referrers (its `subject`),
// never as index entries, so the image stays one wasi/wasm manifest that wasm nodes can pull.
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Command, Log } from '@wasm-build/kit';
import {
  ARTIFACT_TYPE_CYCLONEDX,
  ARTIFACT_TYPE_IN_TOTO,
  type AttachedReferrer,
  attachReferrers,
  type Descriptor,
  type ImageRef,
  type ReferrerArtifact,
  RegistryClient,
  readBackReferrers,
  sha256,
} from '@wasm-build/oci';
import { credentials } from '../options.ts';
import { type ProvenanceInput, provenanceStatement } from '../provenance.ts';
import { cargoMetadata, sbomFromCargoMetadata } from '../sbom.ts';
import { packageVersion } from '../version.ts';
import type { StepOutcome } from './outcome.ts';

/**
 * The crate's directory as the provenance records it: relative to the workspace (GITHUB_WORKSPACE, else the current
 * directory), `.` for the workspace itself, so that two checkouts record the same; a crate outside the workspace by
 * its directory's name alone. Never an absolute path, which would name this machine.
 */
export function workspacePath(manifestPath: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = dirname(resolve(manifestPath));
  const rel = relative(resolve(env.GITHUB_WORKSPACE || process.cwd()), dir);
  if (rel === '') return '.';
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? basename(dir) : rel;
}

/** One statement attached to the image: which kind, and the referrer manifest's digest (the step's outputs). */
export interface AttachedStatement {
  kind: 'provenance' | 'sbom';
  artifactType: string;
  /** Digest of the referrer's manifest (`provenance-digest`, `sbom-digest`). */
  digest: string;
  /** Size of the statement, bytes. */
  size: number;
  /** `referrers-api` when the registry indexes referrers itself, else `fallback-tag` (`sha256-<hex>`). */
  via: AttachedReferrer['via'];
}

/** What the statements are made of: the crate as cargo sees it, and the run the provenance records. */
export interface StatementSources {
  /**
   * The cargo that built the crate, its environment (the toolchain's RUSTC: without it cargo asks PATH's rustc),
   * the absolute Cargo.toml, the package id cargo built (the SBOM's root; absent: the package of the Cargo.toml) and
   * the target (only its dependencies are listed; absent: those of every platform), and `offline` (after a build in
   * the same job every crate is on disk; the image action's job may have none, and lets cargo fetch the index).
   * Absent (no crate): no SBOM, and the provenance names no Cargo.lock.
   */
  cargo?: {
    command: Command;
    env: Record<string, string>;
    manifestPath: string;
    packageId?: string;
    target?: string;
    offline: boolean;
  };
  /** The provenance's fields that the pipeline knows; `image.name` and `sourceDateEpoch` come from the step. */
  provenance: Omit<
    ProvenanceInput,
    'image' | 'cargoLockSha256' | 'sourceDateEpoch' | 'builderVersion' | 'env' | 'source'
  >;
  /**
   * The source as git or GITHUB_* told the image step (`sourceAnnotations`: org.opencontainers.image.source and
   * .revision), not the image's annotations, which a user may set to anything.
   */
  source: Record<string, string>;
}

/**
 * What `attachStep` attaches, to which image, and how it logs in: `ref` is the image's repository (its tag ignored),
 * `provenance`/`sbom` which statements, `username`/`password` a login (else the docker config's), `insecure` plain
 * HTTP (default: loopback registries only).
 */
export interface AttachStepOptions {
  ref: ImageRef;
  /** The image manifest as the registry serves it (media type, digest, size): every statement's subject. */
  subject: Descriptor;
  provenance: boolean;
  sbom: boolean;
  sources: StatementSources;
  /** SOURCE_DATE_EPOCH, seconds: the statements' times and the referrer manifests' `created` annotation. */
  created: number;
  insecure?: boolean;
  username?: string;
  password?: string;
  /** Where GITHUB_* run details come from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** `readCrate(sources.cargo)` when it was asked earlier (the pipeline asks once the build is done); default here. */
  crate?: Promise<CrateFacts | undefined>;
}

/** What cargo says of the crate: `cargo metadata` (unvalidated JSON) and the workspace's Cargo.lock text. */
export interface CrateFacts {
  metadata: { workspace_root?: unknown; resolve?: { root?: unknown } };
  /** The Cargo.lock beside the workspace root; empty when cargo names no workspace root. */
  lockfile: string;
}

/**
 * Reads `cargo metadata` (only the target's dependencies; `--offline` when asked) and the workspace's Cargo.lock;
 * undefined without a crate.
 * @throws UserError from cargo metadata (a missing or stale Cargo.lock) or reading the Cargo.lock.
 */
export async function readCrate(cargo: StatementSources['cargo']): Promise<CrateFacts | undefined> {
  if (!cargo) return undefined;
  const metadata = (await cargoMetadata(cargo.command, cargo.manifestPath, cargo.env, {
    offline: cargo.offline,
    filterPlatform: cargo.target,
  })) as CrateFacts['metadata'];
  const root = typeof metadata?.workspace_root === 'string' ? metadata.workspace_root : undefined;
  return { metadata, lockfile: root ? readFileSync(join(root, 'Cargo.lock'), 'utf8') : '' };
}

/**
 * Builds the statements the options ask for (`provenanceStatement`; `sbomFromCargoMetadata` from `cargo metadata
 * --offline` and the workspace's Cargo.lock), attaches each as an OCI referrer of `subject` (`attachReferrers`:
 * the referrers API, else the `sha256-<hex>` fallback tag), then reads the referrers back and proves each one's
 * subject, type and bytes (`readBackReferrers`). The same inputs and `created` give byte-identical statements.
 * @throws UserError from cargo metadata (a missing or stale Cargo.lock), the registry (refused, unreachable) or the
 *   read-back (a referrer missing, or naming another subject).
 * Source: OCI distribution-spec v1.1 "Pushing Manifests with Subject", "Referrers tag schema".
 */
export async function attachStep(o: AttachStepOptions, log: Log): Promise<StepOutcome<AttachedStatement[]>> {
  const env = o.env ?? process.env;
  const cargo = o.sources.cargo;
  const crate = await (o.crate ?? readCrate(cargo));
  const metadata = crate?.metadata;
  const lockfile = crate?.lockfile ?? '';
  const name = `${o.ref.registry}/${o.ref.repository}`;
  const artifacts: (ReferrerArtifact & { kind: AttachedStatement['kind'] })[] = [];
  if (o.provenance) {
    const bytes = provenanceStatement({
      ...o.sources.provenance,
      source: {
        repository: o.sources.source['org.opencontainers.image.source'],
        commit: o.sources.source['org.opencontainers.image.revision'],
      },
      image: { name, digest: o.subject.digest },
      cargoLockSha256: lockfile ? sha256(Buffer.from(lockfile)) : undefined,
      sourceDateEpoch: o.created,
      builderVersion: packageVersion(),
      env,
    });
    artifacts.push({ kind: 'provenance', artifactType: ARTIFACT_TYPE_IN_TOTO, bytes });
  }
  if (o.sbom && !metadata) log.info('Notice: no SBOM attached: no Cargo.toml to read the dependencies from');
  if (o.sbom && metadata) {
    const rootPackage = cargo?.packageId ?? metadata.resolve?.root;
    const bytes = sbomFromCargoMetadata(metadata, lockfile, {
      subjectDigest: o.subject.digest,
      subjectName: name,
      created: o.created,
      rootName: typeof rootPackage === 'string' ? rootPackage : o.sources.provenance.module.name,
      toolVersion: packageVersion(),
    });
    artifacts.push({ kind: 'sbom', artifactType: ARTIFACT_TYPE_CYCLONEDX, bytes });
  }
  const target = { ref: o.ref, insecure: o.insecure, credentials: credentials(o) };
  // One client, so one login, for the attach and its read-back.
  const client = new RegistryClient(
    { registry: o.ref.registry, repository: o.ref.repository },
    { insecure: o.insecure, credentials: target.credentials },
  );
  const attached = await attachReferrers({ ...target, client, subject: o.subject, artifacts, created: o.created }, log);
  // The read-back proves each referrer by digest (manifest, subject, blob hash); the bytes it returns are ours.
  await readBackReferrers(client, o.subject.digest, attached);
  const value = attached.map((a, i) => ({
    kind: artifacts[i].kind,
    artifactType: a.artifactType,
    digest: a.digest,
    size: artifacts[i].bytes.length,
    via: a.via,
  }));
  const via = value[0]?.via === 'referrers-api' ? 'the referrers API' : 'its referrers tag sha256-<image digest>';
  return {
    value,
    detail: `${value.map((v) => `${v.kind} ${v.digest}`).join(', ')} listed by ${via}; read back`,
    bytes: value.reduce((n, v) => n + v.size, 0),
  };
}
