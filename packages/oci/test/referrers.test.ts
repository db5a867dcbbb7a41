// The pure half of OCI 1.1 referrers: the artifact manifest's exact bytes, the referrers tag, merging a referrers
// list (idempotent, others' entries kept), and hostile lists and manifests refused with what was wrong.
import { UserError } from '@wasm-build/kit';
import { describe, expect, it } from 'vitest';
import { digestOf } from '../src/digest.ts';
import type { Descriptor } from '../src/layout.ts';
import { LIMITS } from '../src/limits.ts';
import { EMPTY_DESCRIPTOR } from '../src/media-types.ts';
import {
  ARTIFACT_TYPE_CYCLONEDX,
  ARTIFACT_TYPE_IN_TOTO,
  artifactManifest,
  checkReferrerManifest,
  mergeReferrers,
  parseReferrersIndex,
  type ReferrerDescriptor,
  referrersIndexBytes,
  referrersTag,
} from '../src/referrers.ts';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const subject: Descriptor = { mediaType: OCI_MANIFEST, digest: A, size: 1234 };
const statement = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** The error `fn` throws, which must be a UserError. */
function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('expected a UserError, nothing was thrown');
}

describe('the empty config and the referrers tag', () => {
  it('the empty descriptor is the two bytes {} (image-spec manifest.md)', () => {
    expect(EMPTY_DESCRIPTOR).toEqual({
      mediaType: 'application/vnd.oci.empty.v1+json',
      digest: digestOf(Buffer.from('{}')),
      size: 2,
    });
  });

  it.each([
    [A, `sha256-${'a'.repeat(64)}`],
    [`sha512:${'c'.repeat(128)}`, `sha512-${'c'.repeat(64)}`],
  ])('referrersTag(%s) is <alg>-<hex, at most 64>', (digest, tag) => {
    expect(referrersTag(digest)).toBe(tag);
  });

  it('refuses a digest that would make a tag out of a path', () => {
    expect(userError(() => referrersTag('sha256:../../x')).message).toBe(
      'Invalid digest "sha256:../../x" in the subject of a referrer',
    );
  });
});

describe('artifactManifest', () => {
  it('writes the exact OCI 1.1 artifact manifest: artifactType, empty config, one layer, subject, created', () => {
    const m = artifactManifest(subject, { artifactType: ARTIFACT_TYPE_IN_TOTO, bytes: statement }, 1_700_000_000);
    expect(m.bytes.toString()).toBe(
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",' +
        '"artifactType":"application/vnd.in-toto+json",' +
        '"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},' +
        '"layers":[{"mediaType":"application/vnd.in-toto+json","digest":"sha256:efd35cf5b72b5b9eeee4ee292f5d6b079191324b19ee9231892fb391c82c1d51","size":43}],' +
        `"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${A}","size":1234},` +
        '"annotations":{"org.opencontainers.image.created":"2023-11-14T22:13:20Z"}}',
    );
    // Hashed by sha256sum from the string above, not by the code under test.
    expect(m.descriptor).toEqual({
      mediaType: OCI_MANIFEST,
      digest: 'sha256:333d8dac1346e888de603faa1e85111603ac5e11d011a9c097ce60edfce58129',
      size: 660,
      artifactType: ARTIFACT_TYPE_IN_TOTO,
      annotations: { 'org.opencontainers.image.created': '2023-11-14T22:13:20Z' },
    });
    expect(m.blob).toEqual({
      mediaType: ARTIFACT_TYPE_IN_TOTO,
      digest: 'sha256:efd35cf5b72b5b9eeee4ee292f5d6b079191324b19ee9231892fb391c82c1d51',
      size: 43,
    });
  });

  it('is deterministic: the same inputs give the same bytes, annotations sorted whatever their order', () => {
    const a = artifactManifest(
      { ...subject, annotations: { x: 'dropped' }, platform: { os: 'wasi', architecture: 'wasm' } },
      { artifactType: ARTIFACT_TYPE_CYCLONEDX, bytes: statement, annotations: { z: '1', b: '2' } },
      0,
    );
    const b = artifactManifest(
      subject,
      { artifactType: ARTIFACT_TYPE_CYCLONEDX, bytes: Buffer.from(statement), annotations: { b: '2', z: '1' } },
      0,
    );
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(Object.keys(a.descriptor.annotations)).toEqual(['b', 'org.opencontainers.image.created', 'z']);
    expect(a.descriptor.annotations['org.opencontainers.image.created']).toBe('1970-01-01T00:00:00Z');
    // The subject carries media type, digest and size only.
    expect(JSON.parse(a.bytes.toString()).subject).toEqual({ mediaType: OCI_MANIFEST, digest: A, size: 1234 });
    const later = artifactManifest(subject, { artifactType: ARTIFACT_TYPE_CYCLONEDX, bytes: statement }, 1);
    expect(later.descriptor.digest).not.toBe(a.descriptor.digest);
  });

  it.each([
    [
      'an artifact type that is not a media type',
      () => artifactManifest(subject, { artifactType: 'sbom', bytes: statement }),
      'Invalid artifact type "sbom"',
    ],
    [
      'a negative creation time',
      () => artifactManifest(subject, { artifactType: ARTIFACT_TYPE_IN_TOTO, bytes: statement }, -1),
      'Invalid creation time -1 for a referrer',
    ],
    [
      'a subject that is a blob, not a manifest',
      () =>
        artifactManifest(
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: A, size: 3 },
          { artifactType: ARTIFACT_TYPE_IN_TOTO, bytes: statement },
        ),
      `The subject ${A} has media type "application/vnd.oci.image.layer.v1.tar+gzip"`,
    ],
    [
      'a subject with no size',
      () =>
        artifactManifest(
          { mediaType: OCI_MANIFEST, digest: A, size: 0 },
          { artifactType: ARTIFACT_TYPE_IN_TOTO, bytes: statement },
        ),
      `The subject ${A} has size 0`,
    ],
  ])('refuses %s', (_what, fn, message) => {
    const e = userError(fn);
    expect(e.message).toBe(message);
    expect(e.fix).toBeTruthy();
  });
});

describe('merging a referrers list', () => {
  const ours = artifactManifest(subject, { artifactType: ARTIFACT_TYPE_IN_TOTO, bytes: statement }).descriptor;
  const sbom = artifactManifest(subject, { artifactType: ARTIFACT_TYPE_CYCLONEDX, bytes: statement }).descriptor;
  // Another tool's signature, with a field we do not know: it must survive our update byte for byte.
  const theirs = {
    mediaType: OCI_MANIFEST,
    digest: B,
    size: 99,
    artifactType: 'application/vnd.cncf.notary.signature',
    annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': '["abc"]' },
    'com.example.extra': { kept: true },
  } as ReferrerDescriptor;

  it('appends to an empty list, and adds nothing the second time (idempotent)', () => {
    const first = mergeReferrers([], [ours, sbom]);
    expect(first).toEqual({ manifests: [ours, sbom], added: 2 });
    const again = mergeReferrers(first.manifests, [ours, sbom]);
    expect(again.added).toBe(0);
    expect(referrersIndexBytes(again.manifests).equals(referrersIndexBytes(first.manifests))).toBe(true);
  });

  it("keeps others' entries first, in order and intact, through a parse and a write", () => {
    const existing = parseReferrersIndex(referrersIndexBytes([theirs]), 'the tag', OCI_INDEX);
    const merged = mergeReferrers(existing, [ours]);
    expect(merged.added).toBe(1);
    const written = JSON.parse(referrersIndexBytes(merged.manifests).toString());
    expect(written).toEqual({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [theirs, ours] });
  });

  it('treats an entry as present by media type, digest and size, whatever its annotations', () => {
    const edited = { ...ours, annotations: { other: 'x' } };
    expect(mergeReferrers([edited], [ours]).added).toBe(0);
    expect(mergeReferrers([{ ...ours, size: ours.size + 1 }], [ours]).added).toBe(1);
  });

  it('writes the index oras-go writes: schemaVersion, mediaType, manifests', () => {
    expect(referrersIndexBytes([]).toString()).toBe(
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}',
    );
  });
});

describe('hostile referrers lists', () => {
  const entry = { mediaType: OCI_MANIFEST, digest: B, size: 10, artifactType: ARTIFACT_TYPE_IN_TOTO };
  it.each([
    [
      'an oversized list',
      Buffer.alloc(LIMITS.manifestBytes + 1, 0x20),
      undefined,
      `The tag is ${LIMITS.manifestBytes + 1} bytes, more than the ${LIMITS.manifestBytes} allowed`,
    ],
    ['invalid JSON', Buffer.from('{"manifests": ['), undefined, 'The tag is not valid JSON (15 bytes)'],
    [
      'an image manifest served at the tag',
      json({ schemaVersion: 2, manifests: [] }),
      OCI_MANIFEST,
      `The tag is a ${OCI_MANIFEST}, not an OCI image index`,
    ],
    [
      'a Docker manifest list',
      json({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', manifests: [] }),
      undefined,
      'The tag is not a valid referrers list (mediaType: Invalid input: expected "application/vnd.oci.image.index.v1+json")',
    ],
    [
      'an entry whose digest is a path',
      json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [entry, { ...entry, digest: 'sha256:../../etc' }] }),
      undefined,
      'The tag is not a valid referrers list (manifests.1.digest: not a sha256 or sha512 digest)',
    ],
    [
      'an entry with a negative size',
      json({ schemaVersion: 2, manifests: [{ ...entry, size: -1 }] }),
      undefined,
      'The tag is not a valid referrers list (manifests.0.size: Too small: expected number to be >=0)',
    ],
  ])('refuses %s', (_what, bytes, served, message) => {
    const e = userError(() => parseReferrersIndex(bytes, 'The tag', served));
    expect(e.message).toBe(message);
    expect(e.fix).toContain('check the registry');
  });

  it('reads a valid list, and the served type may carry parameters', () => {
    const list = json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [entry] });
    expect(parseReferrersIndex(list, 'The tag', `${OCI_INDEX}; charset=utf-8`)).toEqual([entry]);
  });
});

describe('checkReferrerManifest', () => {
  const m = artifactManifest(subject, { artifactType: ARTIFACT_TYPE_IN_TOTO, bytes: statement }, 0);
  const expected = {
    digest: m.descriptor.digest,
    subject: A,
    artifactType: ARTIFACT_TYPE_IN_TOTO,
    blobDigest: m.blob.digest,
    blobSize: m.blob.size,
  };
  const rehash = (v: unknown) => {
    const bytes = json(v);
    return { bytes, e: { ...expected, digest: digestOf(bytes) } };
  };
  const parsed = JSON.parse(m.bytes.toString());

  it('passes the manifest it was built from and returns its layer and subject', () => {
    const r = checkReferrerManifest(m.bytes, expected, 'R');
    expect(r.layer).toEqual(m.blob);
    expect(r.subject.digest).toBe(A);
  });

  it('refuses bytes that do not hash to the digest', () => {
    const tampered = Buffer.from(m.bytes.toString().replace('"size":43', '"size":44'));
    const e = userError(() => checkReferrerManifest(tampered, expected, 'R'));
    expect(e.message).toBe(`R hashes to ${digestOf(tampered)}, expected ${m.descriptor.digest}`);
  });

  it('refuses an oversized manifest before hashing it', () => {
    const e = userError(() => checkReferrerManifest(Buffer.alloc(LIMITS.manifestBytes + 1), expected, 'R'));
    expect(e.message).toBe(`R is ${LIMITS.manifestBytes + 1} bytes, more than the ${LIMITS.manifestBytes} allowed`);
  });

  it('refuses a referrer of another image, naming both subjects', () => {
    const { bytes, e } = rehash({ ...parsed, subject: { ...parsed.subject, digest: B } });
    const err = userError(() => checkReferrerManifest(bytes, e, 'R'));
    expect(err.message).toBe(`R: subject.digest is "${B}", expected "${A}"`);
    expect(err.fix).toBe('This referrer belongs to another image; attach the statements to this image again');
  });

  it.each([
    [
      'another artifact type',
      { artifactType: ARTIFACT_TYPE_CYCLONEDX },
      `R: artifactType is "${ARTIFACT_TYPE_CYCLONEDX}", expected "${ARTIFACT_TYPE_IN_TOTO}"`,
    ],
    [
      'another layer',
      { layers: [{ ...parsed.layers[0], digest: B }] },
      `R: the layer digest is "${B}", expected "${m.blob.digest}"`,
    ],
    [
      'a layer of another size',
      { layers: [{ ...parsed.layers[0], size: 1 }] },
      `R: the layer size is 1, expected ${m.blob.size}`,
    ],
    [
      'two layers',
      { layers: [parsed.layers[0], parsed.layers[0]] },
      'R is not an artifact manifest (layers: expected exactly one layer, the statement)',
    ],
    [
      'no subject',
      { subject: undefined },
      'R is not an artifact manifest (subject: Invalid input: expected object, received undefined)',
    ],
  ])('refuses %s', (_what, change, message) => {
    const { bytes, e } = rehash({ ...parsed, ...change });
    expect(userError(() => checkReferrerManifest(bytes, e, 'R')).message).toBe(message);
  });
});
