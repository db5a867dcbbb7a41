// OCI 1.1 referrers: statements (SLSA provenance, a CycloneDX SBOM) attached *beside* an image as artifact manifests
// whose `subject` is the image manifest, never as entries of an index around it: an index with an `unknown/unknown`
// entry is what breaks pulls on wasm nodes (build-push-action#755). Registries with the referrers API index them
// themselves (`OCI-Subject` on the manifest PUT); for the others (Debian's docker-registry 2.8) the client keeps the
// referrers tag schema's `sha256-<hex>` index, as oras-go does (registry/remote/repository.go, updateReferrersIndex).
import { allInOrder, type Log, type RetryPolicy, UserError } from '@wasm-build/kit';
import * as z from 'zod';
import { algorithmOf, checkDigest, digestOf, isDigest } from './digest.ts';
import type { Credentials } from './docker-config.ts';
import type { Descriptor } from './layout.ts';
import { LIMITS } from './limits.ts';
import {
  EMPTY_DESCRIPTOR,
  IMAGE_MANIFEST_TYPES,
  INDEX_TYPES,
  MEDIA_TYPE_INDEX,
  MEDIA_TYPE_MANIFEST,
} from './media-types.ts';
import { formatImageRef, type ImageRef } from './reference.ts';
import { RegistryClient } from './registry.ts';

const EMPTY_BYTES = Buffer.from('{}');
/** An in-toto Statement (SLSA provenance), as an artifact type (in-toto attestation spec, "Media type"). */
export const ARTIFACT_TYPE_IN_TOTO = 'application/vnd.in-toto+json';
/** A CycloneDX JSON SBOM (IANA media type registration of CycloneDX). */
export const ARTIFACT_TYPE_CYCLONEDX = 'application/vnd.cyclonedx+json';
/** image-spec annotations.md: RFC 3339 creation time. */
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';

// image-spec descriptor.md "mediaType": RFC 6838 type/subtype, 127 characters each at most.
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/** One statement to attach: its artifact type (the blob's media type too), its bytes, and manifest annotations. */
export interface ReferrerArtifact {
  /** e.g. `ARTIFACT_TYPE_IN_TOTO` or `ARTIFACT_TYPE_CYCLONEDX`; any RFC 6838 media type. */
  artifactType: string;
  /** The statement's JSON, pushed as the single layer, byte for byte. */
  bytes: Uint8Array;
  /** Extra annotations of the artifact manifest (copied into the referrers list); override `created`. */
  annotations?: Record<string, string>;
}

/** A referrer as a referrers list names it (distribution-spec v1.1 "Listing Referrers"): a descriptor plus its type. */
export interface ReferrerDescriptor extends Descriptor {
  artifactType?: string;
}

/** What `attachReferrers` pushed for one statement. */
export interface AttachedReferrer {
  artifactType: string;
  /** Digest and size (bytes) of the artifact manifest. */
  digest: string;
  size: number;
  /** Digest and size (bytes) of the statement blob, its single layer. */
  blobDigest: string;
  blobSize: number;
  /** `referrers-api` when the registry answered `OCI-Subject`; `fallback-tag` when we listed it in `sha256-<hex>`. */
  via: 'referrers-api' | 'fallback-tag';
}

/** Where referrers live and how to log in: the repository of the image (its tag, if any, is ignored). */
export interface ReferrersTarget {
  ref: ImageRef;
  /** Plain HTTP; default true for loopback registries only (as `RegistryOptions`). */
  insecure?: boolean;
  /** Login; default the docker config's entry for the registry. */
  credentials?: Credentials;
  retry?: RetryPolicy;
}

/** What to attach to which image. */
export interface AttachOptions extends ReferrersTarget {
  /** The image manifest: media type, digest and size (bytes) exactly as pushed and read back. */
  subject: Descriptor;
  artifacts: ReferrerArtifact[];
  /** `org.opencontainers.image.created`, seconds since the epoch (`SOURCE_DATE_EPOCH`); default 0. */
  created?: number;
  /** A client of the image's repository to reuse (and its login); default one made from the target. */
  client?: RegistryClient;
}

/** One artifact manifest, built: its bytes, its descriptor as a referrers list names it, and its blob's descriptor. */
export interface ArtifactManifest {
  bytes: Buffer;
  descriptor: ReferrerDescriptor & { artifactType: string; annotations: Record<string, string> };
  blob: Descriptor;
}

/** A referrer as read back: its manifest checked against what was attached, and the statement as served. */
export interface ReferrerProof {
  artifactType: string;
  digest: string;
  subject: string;
  blobDigest: string;
  /** The statement's bytes as the registry serves them (hashing to `blobDigest`). */
  bytes: Buffer;
  annotations: Record<string, string>;
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function client(o: RegistryClient | ReferrersTarget): RegistryClient {
  if (o instanceof RegistryClient) return o;
  const repo: ImageRef = { registry: o.ref.registry, repository: o.ref.repository };
  return new RegistryClient(repo, { insecure: o.insecure, credentials: o.credentials, retry: o.retry });
}

/**
 * The referrers tag of a subject digest (distribution-spec v1.1 "Referrers Tag Schema"): `<alg>-<ref>`, the
 * algorithm truncated to 32 characters and the hex to 64, e.g. `sha256-44136fa…`.
 * @throws UserError for an invalid digest.
 */
export function referrersTag(subjectDigest: string): string {
  checkDigest(subjectDigest, 'the subject of a referrer');
  const [alg, hex] = subjectDigest.split(':');
  return `${alg.slice(0, 32)}-${hex.slice(0, 64)}`;
}

function checkSubject(subject: Descriptor): void {
  checkDigest(subject.digest, 'the subject of the referrers');
  if (![...IMAGE_MANIFEST_TYPES, ...INDEX_TYPES].includes(subject.mediaType)) {
    throw new UserError(`The subject ${subject.digest} has media type "${String(subject.mediaType).slice(0, 100)}"`, {
      fix: `Attach referrers to an image manifest or index (${MEDIA_TYPE_MANIFEST}); pass the pushed manifest's descriptor`,
    });
  }
  if (!Number.isSafeInteger(subject.size) || subject.size < 1 || subject.size > LIMITS.manifestBytes) {
    throw new UserError(`The subject ${subject.digest} has size ${subject.size}`, {
      fix: `Pass the pushed manifest's size in bytes (1 to ${LIMITS.manifestBytes})`,
    });
  }
}

function createdIso(created: number): string {
  if (!Number.isSafeInteger(created) || created < 0 || created > 253402300799) {
    throw new UserError(`Invalid creation time ${created} for a referrer`, {
      fix: 'Give whole seconds since 1970 (SOURCE_DATE_EPOCH), up to the year 9999',
    });
  }
  return new Date(created * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Builds the artifact manifest of one statement (image-spec v1.1 manifest.md, "artifactType" and "subject"; the
 * artifact guidance of image-spec "Guidelines for Artifact Usage"): an OCI image manifest with `artifactType`, the
 * empty config, the statement as its single layer (media type = `artifactType`), `subject` = the image's media type,
 * digest and size, and the sorted annotations `org.opencontainers.image.created` (from `created`, seconds) plus the
 * artifact's. Pure and deterministic: the same inputs give the same bytes.
 * @throws UserError for an invalid subject, artifact type, annotation or creation time.
 */
export function artifactManifest(subject: Descriptor, artifact: ReferrerArtifact, created = 0): ArtifactManifest {
  checkSubject(subject);
  if (typeof artifact.artifactType !== 'string' || !MEDIA_TYPE.test(artifact.artifactType)) {
    throw new UserError(`Invalid artifact type ${JSON.stringify(String(artifact.artifactType).slice(0, 200))}`, {
      fix: `Use a media type such as ${ARTIFACT_TYPE_IN_TOTO} or ${ARTIFACT_TYPE_CYCLONEDX}`,
    });
  }
  for (const [k, v] of Object.entries(artifact.annotations ?? {})) {
    if (typeof v !== 'string' || k === '') {
      throw new UserError(`Invalid annotation ${JSON.stringify(k)} on the ${artifact.artifactType} referrer`, {
        fix: 'Annotations are non-empty keys with string values',
      });
    }
  }
  const blob: Descriptor = {
    mediaType: artifact.artifactType,
    digest: digestOf(artifact.bytes),
    size: artifact.bytes.length,
  };
  const annotations = sortKeys({ [CREATED_ANNOTATION]: createdIso(created), ...artifact.annotations });
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_MANIFEST,
    artifactType: artifact.artifactType,
    config: { ...EMPTY_DESCRIPTOR },
    layers: [blob],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  if (bytes.length > LIMITS.manifestBytes) {
    throw new UserError(`The ${artifact.artifactType} referrer's manifest is ${bytes.length} bytes`, {
      fix: `Keep its annotations under ${LIMITS.manifestBytes} bytes`,
    });
  }
  return {
    bytes,
    descriptor: {
      mediaType: MEDIA_TYPE_MANIFEST,
      digest: digestOf(bytes),
      size: bytes.length,
      artifactType: artifact.artifactType,
      annotations,
    },
    blob,
  };
}

// What we read of a referrers list (image-spec image-index.md; distribution-spec "Listing Referrers"); unknown fields
// pass through untouched, so another tool's entries are written back as they were.
const referrerSchema = z.looseObject({
  mediaType: z.string().max(255),
  digest: z.string().refine(isDigest, { message: 'not a sha256 or sha512 digest' }),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  artifactType: z.string().max(255).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
const referrersIndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MEDIA_TYPE_INDEX).optional(),
  manifests: z.array(referrerSchema),
});

/**
 * Reads a referrers list (a referrers API answer, or the index at a referrers tag) for `where`: at most
 * `LIMITS.manifestBytes`, JSON, an OCI image index (`schemaVersion` 2, `mediaType` the OCI index when present, and as
 * `served` when given), every entry a descriptor with a valid digest. Returns the entries in order, as read.
 * @throws UserError naming `where` and the first thing wrong (oversized, not JSON, another media type, the entry).
 */
export function parseReferrersIndex(bytes: Uint8Array, where: string, served?: string): ReferrerDescriptor[] {
  const fix = 'The registry or another tool wrote something else there; check the registry, or delete that tag';
  if (bytes.length > LIMITS.manifestBytes) {
    throw new UserError(`${where} is ${bytes.length} bytes, more than the ${LIMITS.manifestBytes} allowed`, { fix });
  }
  const servedType = served?.split(';')[0].trim().toLowerCase();
  if (servedType && servedType !== MEDIA_TYPE_INDEX) {
    throw new UserError(`${where} is a ${servedType.slice(0, 100)}, not an OCI image index`, { fix });
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new UserError(`${where} is not valid JSON (${bytes.length} bytes)`, { fix, cause: e });
  }
  const r = referrersIndexSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UserError(
      `${where} is not a valid referrers list (${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message})`,
      { fix },
    );
  }
  return r.data.manifests as ReferrerDescriptor[];
}

/** Same referrer: the key oras-go's `descriptor.FromOCI` uses (media type, digest, size). */
function sameReferrer(a: Descriptor, b: Descriptor): boolean {
  return a.digest === b.digest && a.mediaType === b.mediaType && a.size === b.size;
}

/**
 * Merges referrers into a referrers list, as distribution-spec v1.1 "Pushing Manifests with Subject" asks of a client
 * (steps 4 and 5): every existing entry is kept as it was and in order (others' referrers too), and each new one is
 * appended unless an entry with its media type, digest and size is already there. Pure. Returns the list and how many
 * were added (0: nothing to push).
 */
export function mergeReferrers(
  existing: readonly ReferrerDescriptor[],
  add: readonly ReferrerDescriptor[],
): { manifests: ReferrerDescriptor[]; added: number } {
  const manifests = [...existing];
  let added = 0;
  for (const d of add) {
    if (manifests.some((m) => sameReferrer(m, d))) continue;
    manifests.push(d);
    added++;
  }
  return { manifests, added };
}

/** The bytes of a referrers list: `{"schemaVersion":2,"mediaType":<OCI index>,"manifests":[…]}`, as oras-go writes it. */
export function referrersIndexBytes(manifests: readonly ReferrerDescriptor[]): Buffer {
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE_INDEX, manifests }));
}

const referrerManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MEDIA_TYPE_MANIFEST),
  artifactType: z.string().max(255),
  config: referrerSchema,
  layers: z.array(referrerSchema).length(1, { message: 'expected exactly one layer, the statement' }),
  subject: referrerSchema,
  annotations: z.record(z.string(), z.string()).optional(),
});

/** What a referrer's manifest must be; see `checkReferrerManifest`. */
export interface ReferrerExpectation {
  /** The artifact manifest's digest. */
  digest: string;
  /** The image manifest digest it must refer to. */
  subject: string;
  artifactType: string;
  /** The statement blob's digest and size (bytes), when known. */
  blobDigest?: string;
  blobSize?: number;
}

/**
 * Checks a referrer's manifest as served, for `where`: at most `LIMITS.manifestBytes`, hashing to `expected.digest`,
 * an OCI image manifest (image-spec v1.1) with `artifactType` = `expected.artifactType`, one layer of that media type
 * with the expected blob digest and size, and `subject.digest` = `expected.subject`. Pure. Returns the manifest's
 * layer, subject and annotations.
 * @throws UserError naming `where`, what was wrong, the value found and what was expected, and a fix.
 */
export function checkReferrerManifest(
  bytes: Uint8Array,
  expected: ReferrerExpectation,
  where: string,
): { layer: Descriptor; subject: Descriptor; annotations: Record<string, string> } {
  const served =
    'The registry is serving other content than was attached; attach the statements again, and check the registry';
  if (bytes.length > LIMITS.manifestBytes) {
    throw new UserError(`${where} is ${bytes.length} bytes, more than the ${LIMITS.manifestBytes} allowed`, {
      fix: served,
    });
  }
  const actual = digestOf(bytes, isDigest(expected.digest) ? algorithmOf(expected.digest) : 'sha256');
  if (actual !== expected.digest) {
    throw new UserError(`${where} hashes to ${actual}, expected ${expected.digest}`, { fix: served });
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new UserError(`${where} is not valid JSON`, { fix: served, cause: e });
  }
  const r = referrerManifestSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UserError(
      `${where} is not an artifact manifest (${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message})`,
      { fix: served },
    );
  }
  const m = r.data;
  const wrong = (what: string, got: unknown, want: unknown, fix = served) =>
    new UserError(`${where}: ${what} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`, { fix });
  if (m.subject.digest !== expected.subject) {
    throw wrong(
      'subject.digest',
      m.subject.digest,
      expected.subject,
      'This referrer belongs to another image; attach the statements to this image again',
    );
  }
  if (m.artifactType !== expected.artifactType) throw wrong('artifactType', m.artifactType, expected.artifactType);
  const layer = m.layers[0] as Descriptor;
  if (layer.mediaType !== expected.artifactType)
    throw wrong('the layer media type', layer.mediaType, expected.artifactType);
  if (expected.blobDigest !== undefined && layer.digest !== expected.blobDigest)
    throw wrong('the layer digest', layer.digest, expected.blobDigest);
  if (expected.blobSize !== undefined && layer.size !== expected.blobSize)
    throw wrong('the layer size', layer.size, expected.blobSize);
  return { layer, subject: m.subject as Descriptor, annotations: m.annotations ?? {} };
}

/**
 * Lists the referrers of `subjectDigest`, optionally only those of `artifactType`: from the referrers API when the
 * registry has it (GET /referrers/DIGEST answers an OCI index), else from the index at the referrers tag
 * `sha256-<hex>` (none when the tag does not exist). Every answer is read with a size cap and parsed strictly
 * (`parseReferrersIndex`); an `artifactType` filter is applied here whether or not the registry applied it.
 * Pass a `RegistryClient` to reuse its login. Source: distribution-spec v1.1 "Listing Referrers", "Unavailable
 * Referrers API"; oras-go `Repository.Referrers` (ping, then API or tag schema, pages by `Link`).
 * @throws UserError for an invalid digest, an oversized or malformed list, a tag holding something else, and what
 *   every registry request may throw.
 */
export async function listReferrers(
  o: RegistryClient | ReferrersTarget,
  subjectDigest: string,
  artifactType?: string,
): Promise<{ via: AttachedReferrer['via']; referrers: ReferrerDescriptor[] }> {
  const c = client(o);
  checkDigest(subjectDigest, `the referrers request to ${formatImageRef(c.ref)}`);
  const name = formatImageRef({ registry: c.ref.registry, repository: c.ref.repository }, { digest: subjectDigest });
  const only = (list: ReferrerDescriptor[]) =>
    artifactType ? list.filter((d) => d.artifactType === artifactType) : list;
  const api = await c.referrers(subjectDigest, artifactType);
  if (api) {
    const pages = api.pages.map((page, i) =>
      parseReferrersIndex(page, `The referrers list of ${name}${i ? ` (page ${i + 1})` : ''}`),
    );
    return { via: 'referrers-api', referrers: only(pages.flat()) };
  }
  const tag = referrersTag(subjectDigest);
  const m = await c.manifestIfAny(tag);
  if (!m) return { via: 'fallback-tag', referrers: [] };
  const where = `The referrers tag ${c.ref.registry}/${c.ref.repository}:${tag}`;
  return { via: 'fallback-tag', referrers: only(parseReferrersIndex(m.bytes, where, m.mediaType)) };
}

/**
 * Attaches statements to a pushed image as OCI 1.1 referrers. For each artifact: uploads the statement blob (media
 * type = its artifact type) and the empty config `{}` when the registry lacks them, builds the artifact manifest
 * (`artifactManifest`: deterministic, `subject` = `o.subject`) and PUTs it by digest. A registry that answers
 * `OCI-Subject` indexes it itself (`referrers-api`); otherwise the referrers tag `sha256-<hex>` is updated once for all
 * artifacts: its index is read (none → empty), entries not yet there are appended, others' entries kept, and the
 * index PUT only when something was added (`fallback-tag`). Attaching the same statements again changes nothing.
 * The image manifest itself is never touched. Returns one `AttachedReferrer` per artifact, in order.
 *
 * Not atomic against a concurrent writer of the same referrers tag (docker-registry has no conditional PUT); the
 * replaced index is left untagged rather than deleted. Source: distribution-spec v1.1 "Pushing Manifests with
 * Subject", "Referrers Tag Schema"; oras-go registry/remote repository.go (`indexReferrersForPush`,
 * `updateReferrersIndex`).
 * @throws UserError for an invalid subject, artifact or creation time, a registry that stores a manifest under
 *   another digest or answers another `OCI-Subject`, a referrers tag holding something other than an index, and what
 *   every registry request may throw (unreachable, 401/403, refused pushes).
 */
export async function attachReferrers(o: AttachOptions, log: Log): Promise<AttachedReferrer[]> {
  checkSubject(o.subject);
  const built = o.artifacts.map((a) => ({ artifact: a, m: artifactManifest(o.subject, a, o.created ?? 0) }));
  const c = o.client ?? client(o);
  const name = formatImageRef({ registry: c.ref.registry, repository: c.ref.repository }, { digest: o.subject.digest });
  if (built.length === 0) return [];
  // Every blob at once (the empty config and the statements), then every manifest at once: a manifest is PUT only
  // once the blobs it names are there.
  const [, ...uploads] = await allInOrder([
    c.pushBlob(EMPTY_DESCRIPTOR.digest, EMPTY_BYTES),
    ...built.map(({ artifact, m }) => c.pushBlob(m.blob.digest, artifact.bytes)),
  ]);
  const attached = await allInOrder(
    built.map(async ({ artifact, m }, i): Promise<AttachedReferrer> => {
      log.debug(
        `Referrers.attachReferrers: ${m.blob.digest} (${m.blob.size} bytes) ${uploads[i].uploaded ? 'uploaded' : 'already present'}`,
      );
      const headers = await c.putManifest(m.descriptor.digest, m.bytes, MEDIA_TYPE_MANIFEST);
      const stored = headers.get('docker-content-digest');
      if (stored !== null && stored !== m.descriptor.digest) {
        throw new UserError(
          `Registry ${c.ref.registry} stored the ${artifact.artifactType} referrer of ${name} as ${JSON.stringify(stored.slice(0, 200))}, not ${m.descriptor.digest}`,
          { fix: 'The registry rewrote the manifest; check the registry' },
        );
      }
      const subject = headers.get('oci-subject');
      if (subject !== null && subject !== o.subject.digest) {
        throw new UserError(
          `Registry ${c.ref.registry} answered OCI-Subject ${JSON.stringify(subject.slice(0, 200))} for the ${artifact.artifactType} referrer of ${name}`,
          { fix: `The registry indexed it under another subject than ${o.subject.digest}; check the registry` },
        );
      }
      return {
        artifactType: artifact.artifactType,
        digest: m.descriptor.digest,
        size: m.descriptor.size,
        blobDigest: m.blob.digest,
        blobSize: m.blob.size,
        via: subject !== null ? 'referrers-api' : 'fallback-tag',
      };
    }),
  );
  const unindexed = built.filter((_, i) => attached[i].via === 'fallback-tag').map(({ m }) => m.descriptor);
  if (unindexed.length) {
    const tag = referrersTag(o.subject.digest);
    const where = `The referrers tag ${c.ref.registry}/${c.ref.repository}:${tag}`;
    let existing: ReferrerDescriptor[] = [];
    const m = await c.manifestIfAny(tag);
    if (m) existing = parseReferrersIndex(m.bytes, where, m.mediaType);
    const merged = mergeReferrers(existing, unindexed);
    if (merged.added > 0) {
      await c.putManifest(tag, referrersIndexBytes(merged.manifests), MEDIA_TYPE_INDEX);
    }
    log.debug(
      `Referrers.attachReferrers: ${tag} lists ${merged.manifests.length} referrers (${merged.added} added, ${existing.length} before)`,
    );
  }
  for (const a of attached) log.info(`Attached ${a.artifactType} ${a.digest} to ${name} (${a.via})`);
  return attached;
}

/**
 * Proves attached referrers: the subject's referrers list (`listReferrers`: API or referrers tag) names each one with
 * its artifact type and size; its manifest, read by digest, hashes to that digest and passes `checkReferrerManifest`
 * (subject = `subjectDigest`, artifact type, one layer with the attached blob digest and size); and the statement
 * blob, read with its size as the cap, hashes to its digest. Returns what was read, in order, with the statements'
 * bytes. Pass a `RegistryClient` to reuse its login.
 * @throws UserError naming the referrer, what was wrong (not listed, listed with another type or size, a manifest
 *   that hashes or says otherwise, a blob that differs), the value found and expected, and a fix.
 */
export async function readBackReferrers(
  o: RegistryClient | ReferrersTarget,
  subjectDigest: string,
  attached: readonly AttachedReferrer[],
): Promise<ReferrerProof[]> {
  const c = client(o);
  checkDigest(subjectDigest, `the read-back of referrers in ${formatImageRef(c.ref)}`);
  const name = formatImageRef({ registry: c.ref.registry, repository: c.ref.repository }, { digest: subjectDigest });
  const listed = await listReferrers(c, subjectDigest);
  // Each referrer's manifest and blob, all referrers at once.
  return allInOrder(
    attached.map(async (a): Promise<ReferrerProof> => {
      const what = `The ${a.artifactType} referrer ${a.digest} of ${name}`;
      const entry = listed.referrers.find((d) => d.digest === a.digest);
      const where =
        listed.via === 'referrers-api' ? 'its referrers API' : `its referrers tag ${referrersTag(subjectDigest)}`;
      if (!entry) {
        throw new UserError(`${what} is not listed by ${where} (${listed.referrers.length} listed)`, {
          fix: 'Something rewrote the referrers list (a concurrent push, or a registry that drops it); attach the statements again',
        });
      }
      if (entry.artifactType !== a.artifactType || entry.size !== a.size) {
        throw new UserError(
          `${what} is listed by ${where} as ${JSON.stringify(entry.artifactType ?? null)} of ${entry.size} bytes, expected ${JSON.stringify(a.artifactType)} of ${a.size}`,
          { fix: 'The referrers list was edited; attach the statements again' },
        );
      }
      const m = await c.manifest(a.digest, { size: a.size });
      const r = checkReferrerManifest(
        m.bytes,
        {
          digest: a.digest,
          subject: subjectDigest,
          artifactType: a.artifactType,
          blobDigest: a.blobDigest,
          blobSize: a.blobSize,
        },
        what,
      );
      const bytes = await c.blob(r.layer.digest, r.layer.size);
      return {
        artifactType: a.artifactType,
        digest: a.digest,
        subject: r.subject.digest,
        blobDigest: r.layer.digest,
        bytes,
        annotations: r.annotations,
      };
    }),
  );
}
