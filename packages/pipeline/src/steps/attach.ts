// The attach step: SLSA provenance and a CycloneDX SBOM pushed beside the image as OCI referrers (its `subject`),
// never as index entries, so the image stays one wasi/wasm manifest that wasm nodes can pull.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, Log } from '@wasm-build/kit';
import {
  ARTIFACT_TYPE_CYCLONEDX,
  ARTIFACT_TYPE_IN_TOTO,
  type AttachedReferrer,
  attachReferrers,
  type Descriptor,
  type ImageRef,
  type ReferrerArtifact,
  readBackReferrers,
  sha256,
} from '@wasm-build/oci';
import { credentials } from '../options.ts';
import { type ProvenanceInput, provenanceStatement } from '../provenance.ts';
import { cargoMetadata, sbomFromCargoMetadata } from '../sbom.ts';
import { packageVersion } from '../version.ts';
import type { StepOutcome } from './outcome.ts';

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
   * the target (only its dependencies are listed; absent: those of every platform). Absent (no crate): no SBOM,
   * and the provenance names no Cargo.lock.
   */
  cargo?: { command: Command; env: Record<string, string>; manifestPath: string; packageId?: string; target?: string };
  /** The provenance's fields that the pipeline knows; `image.name` and `sourceDateEpoch` come from the step. */
  provenance: Omit<ProvenanceInput, 'image' | 'cargoLockSha256' | 'sourceDateEpoch' | 'builderVersion' | 'env'>;
}

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
  env?: NodeJS.ProcessEnv;
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
  const metadata = cargo
    ? ((await cargoMetadata(cargo.command, cargo.manifestPath, cargo.env, {
        offline: true,
        filterPlatform: cargo.target,
      })) as { workspace_root?: unknown; resolve?: { root?: unknown } })
    : undefined;
  const root = typeof metadata?.workspace_root === 'string' ? metadata.workspace_root : undefined;
  const lockfile = root ? readFileSync(join(root, 'Cargo.lock'), 'utf8') : '';
  const name = `${o.ref.registry}/${o.ref.repository}`;
  const artifacts: (ReferrerArtifact & { kind: AttachedStatement['kind'] })[] = [];
  if (o.provenance) {
    const bytes = provenanceStatement({
      ...o.sources.provenance,
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
    const crate = cargo?.packageId ?? metadata.resolve?.root;
    const bytes = sbomFromCargoMetadata(metadata, lockfile, {
      subjectDigest: o.subject.digest,
      subjectName: name,
      created: o.created,
      rootName: typeof crate === 'string' ? crate : o.sources.provenance.module.name,
      toolVersion: packageVersion(),
    });
    artifacts.push({ kind: 'sbom', artifactType: ARTIFACT_TYPE_CYCLONEDX, bytes });
  }
  const target = { ref: o.ref, insecure: o.insecure, credentials: credentials(o) };
  const attached = await attachReferrers({ ...target, subject: o.subject, artifacts, created: o.created }, log);
  await readBackReferrers(target, o.subject.digest, attached);
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
