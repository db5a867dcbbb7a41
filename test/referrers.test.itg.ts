// Attaches an in-toto statement and a CycloneDX SBOM to a pushed image as OCI 1.1 referrers on the real Debian
// docker-registry 2.8, which has no referrers API, so the referrers tag schema (`sha256-<hex>`) is what is exercised.
// What the registry holds is checked with skopeo and plain HTTP, not only with our own client: the image stays one
// wasi/wasm manifest, byte for byte; the tag lists exactly the two referrers, whose subjects are the image; attaching
// again changes nothing; tampering is caught by the read-back with the offending value.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLog, UserError } from '@wasm-build/kit';
import {
  ARTIFACT_TYPE_CYCLONEDX,
  ARTIFACT_TYPE_IN_TOTO,
  type AttachedReferrer,
  artifactManifest,
  attachReferrers,
  buildImage,
  type Descriptor,
  digestOf,
  listReferrers,
  MEDIA_TYPE_INDEX,
  MEDIA_TYPE_MANIFEST,
  parseImageRef,
  pushImage,
  RegistryClient,
  readBackReferrers,
  referrersIndexBytes,
  referrersTag,
  writeLayout,
} from '@wasm-build/oci';
import { describe, expect, it } from 'vitest';
import { corpusFile } from './helpers/corpus.ts';
import { useLocalRegistry } from './helpers/registry.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const ready = requireTools('referrers tests', {
  'skopeo (apt skopeo)': HAVE.skopeo,
  'docker-registry (apt docker-registry)': HAVE.registry,
});
const CREATED = 1_700_000_000;

function statements(digest: string, wasmDigest: string) {
  const provenance = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [
        { name: 'image', digest: { sha256: digest.slice(7) } },
        { name: 'fdwrite.wasm', digest: { sha256: wasmDigest.slice(7) } },
      ],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: { buildDefinition: { buildType: 'https://example.com/wasm-build/v1' }, runDetails: {} },
    }),
  );
  const sbom = Buffer.from(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components: [] }));
  return [
    { artifactType: ARTIFACT_TYPE_IN_TOTO, bytes: provenance },
    { artifactType: ARTIFACT_TYPE_CYCLONEDX, bytes: sbom, annotations: { 'org.example.kind': 'sbom' } },
  ];
}

/** GETs a manifest with plain fetch, to check what the registry holds without our client. */
async function rawManifest(address: string, repo: string, reference: string) {
  const res = await fetch(`http://${address}/v2/${repo}/manifests/${reference}`, {
    headers: { Accept: `${MEDIA_TYPE_MANIFEST}, ${MEDIA_TYPE_INDEX}` },
  });
  return { status: res.status, type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
}

function skopeo(args: string[]) {
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

describe.runIf(ready)('OCI 1.1 referrers on docker-registry 2.8 (referrers tag schema)', () => {
  const registry = useLocalRegistry();

  /** Pushes the corpus image to `repo` with skopeo (tag v1), and attaches the two statements. */
  async function pushed(repo: string) {
    const address = registry.current.address;
    const wasm = corpusFile('binaries/wasi-testsuite_as_fd_write-to-stdout.wasm');
    const img = await buildImage({ wasm, name: 'fdwrite', created: CREATED });
    const dir = join(mkdtempSync(join(tmpdir(), 'itg-referrers-')), 'layout');
    writeLayout(img, dir, 'v1');
    const ref = parseImageRef(`${address}/${repo}:v1`);
    const push = await pushImage(
      { backend: 'skopeo', image: img, wasm, name: 'fdwrite', layoutDir: dir, layoutTag: 'v1', ref, tags: ['v1'] },
      memoryLog(),
    );
    const subject: Descriptor = { mediaType: MEDIA_TYPE_MANIFEST, digest: push.digest, size: img.manifest.size };
    const before = await rawManifest(address, repo, push.digest);
    const log = memoryLog();
    const artifacts = statements(push.digest, img.wasmDigest);
    const attached = await attachReferrers({ ref, subject, artifacts, created: CREATED }, log);
    return { address, ref, img, subject, before, artifacts, attached, log, client: new RegistryClient(ref) };
  }

  it('keeps the image one wasi/wasm manifest, and lists exactly two referrers of it at sha256-<hex>', async () => {
    const repo = 'itg/referrers';
    const { address, ref, subject, before, artifacts, attached, log, client } = await pushed(repo);
    const digest = subject.digest;
    expect(attached.map((a) => [a.artifactType, a.via])).toEqual([
      [ARTIFACT_TYPE_IN_TOTO, 'fallback-tag'],
      [ARTIFACT_TYPE_CYCLONEDX, 'fallback-tag'],
    ]);
    // No referrers API here: the registry answers 404, which is why the tag schema was used.
    expect(await client.referrers(digest)).toBeUndefined();

    // The image is untouched: the same bytes by digest and by tag, one image manifest (no index around it).
    const after = await rawManifest(address, repo, digest);
    expect(after.status).toBe(200);
    expect(after.bytes.equals(before.bytes)).toBe(true);
    expect(digestOf(after.bytes)).toBe(digest);
    expect((await rawManifest(address, repo, 'v1')).bytes.equals(before.bytes)).toBe(true);
    expect(JSON.parse(after.bytes.toString()).mediaType).toBe(MEDIA_TYPE_MANIFEST);
    const inspect = JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${address}/${repo}@${digest}`]));
    expect([inspect.Os, inspect.Architecture, inspect.Digest]).toEqual(['wasi', 'wasm', digest]);

    // The referrers tag, read by skopeo: an OCI index of exactly our two artifact manifests.
    const tag = referrersTag(digest);
    expect(tag).toBe(`sha256-${digest.slice(7)}`);
    const index = JSON.parse(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${address}/${repo}:${tag}`]));
    expect(index.mediaType).toBe(MEDIA_TYPE_INDEX);
    expect(index.manifests.map((d: { digest: string }) => d.digest)).toEqual(attached.map((a) => a.digest));
    expect(index.manifests[1]).toEqual({
      mediaType: MEDIA_TYPE_MANIFEST,
      digest: attached[1].digest,
      size: attached[1].size,
      artifactType: ARTIFACT_TYPE_CYCLONEDX,
      annotations: { 'org.example.kind': 'sbom', 'org.opencontainers.image.created': '2023-11-14T22:13:20Z' },
    });
    // Each listed manifest, fetched without our client, is an artifact whose subject is the image.
    for (const [i, d] of (index.manifests as { digest: string }[]).entries()) {
      const m = await rawManifest(address, repo, d.digest);
      expect(digestOf(m.bytes)).toBe(d.digest);
      const parsed = JSON.parse(m.bytes.toString());
      expect(parsed.subject).toEqual({ mediaType: MEDIA_TYPE_MANIFEST, digest, size: subject.size });
      expect(parsed.artifactType).toBe(artifacts[i].artifactType);
      expect(parsed.config.digest).toBe('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
      const blob = await fetch(`http://${address}/v2/${repo}/blobs/${parsed.layers[0].digest}`);
      expect(Buffer.from(await blob.arrayBuffer()).equals(Buffer.from(artifacts[i].bytes))).toBe(true);
    }
    expect(log.lines.filter((l) => l.startsWith('Attached '))).toHaveLength(2);

    // Our listing agrees, and filters by artifact type.
    const listed = await listReferrers({ ref }, digest);
    expect([listed.via, listed.referrers.length]).toEqual(['fallback-tag', 2]);
    expect((await listReferrers(client, digest, ARTIFACT_TYPE_CYCLONEDX)).referrers.map((d) => d.digest)).toEqual([
      attached[1].digest,
    ]);

    // The read-back proves both and hands back the statements as served.
    const proofs = await readBackReferrers(client, digest, attached);
    expect(proofs.map((p) => [p.artifactType, p.subject])).toEqual([
      [ARTIFACT_TYPE_IN_TOTO, digest],
      [ARTIFACT_TYPE_CYCLONEDX, digest],
    ]);
    expect(proofs[0].bytes.equals(Buffer.from(artifacts[0].bytes))).toBe(true);
  });

  it('is idempotent: attaching the same statements again uploads nothing and leaves the tag as it was', async () => {
    const repo = 'itg/referrers-again';
    const { address, ref, subject, artifacts, attached } = await pushed(repo);
    const tag = referrersTag(subject.digest);
    const first = await rawManifest(address, repo, tag);
    const log = memoryLog();
    const again = await attachReferrers({ ref, subject, artifacts, created: CREATED }, log);
    expect(again).toEqual(attached);
    const second = await rawManifest(address, repo, tag);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(JSON.parse(second.bytes.toString()).manifests).toHaveLength(2);
    expect(log.lines.filter((l) => l.includes('uploaded'))).toEqual([]);
    expect(log.lines).toContain(`debug: Referrers.attachReferrers: ${tag} lists 2 referrers (0 added, 2 before)`);
  });

  it("keeps another tool's referrer in the tag when attaching", async () => {
    const repo = 'itg/referrers-shared';
    const { address, ref, subject, artifacts, client } = await pushed(repo);
    const tag = referrersTag(subject.digest);
    // A third referrer (say, a signature) that another tool listed: ours must not drop it.
    const other = artifactManifest(subject, {
      artifactType: 'application/vnd.example.signature',
      bytes: Buffer.from('sig'),
    });
    await client.pushBlob(other.blob.digest, Buffer.from('sig'));
    await client.putManifest(other.descriptor.digest, other.bytes, MEDIA_TYPE_MANIFEST);
    const current = JSON.parse((await rawManifest(address, repo, tag)).bytes.toString()).manifests;
    await client.putManifest(tag, referrersIndexBytes([other.descriptor, ...current]), MEDIA_TYPE_INDEX);
    await attachReferrers({ ref, subject, artifacts, created: CREATED }, memoryLog());
    const listed = JSON.parse((await rawManifest(address, repo, tag)).bytes.toString()).manifests;
    expect(listed.map((d: { artifactType: string }) => d.artifactType)).toEqual([
      'application/vnd.example.signature',
      ARTIFACT_TYPE_IN_TOTO,
      ARTIFACT_TYPE_CYCLONEDX,
    ]);
  });

  it('fails the read-back when the tag no longer lists a referrer, naming it', async () => {
    const repo = 'itg/referrers-dropped';
    const { ref, subject, attached, client } = await pushed(repo);
    const tag = referrersTag(subject.digest);
    // Replace the SBOM's entry with a manifest that refers to another image.
    const otherImage: Descriptor = { mediaType: MEDIA_TYPE_MANIFEST, digest: digestOf(Buffer.from('x')), size: 1 };
    const impostor = artifactManifest(otherImage, { artifactType: ARTIFACT_TYPE_CYCLONEDX, bytes: Buffer.from('{}') });
    await client.putManifest(impostor.descriptor.digest, impostor.bytes, MEDIA_TYPE_MANIFEST);
    const index = JSON.parse((await client.manifest(tag)).bytes.toString());
    await client.putManifest(tag, referrersIndexBytes([index.manifests[0], impostor.descriptor]), MEDIA_TYPE_INDEX);
    const e = await readBackReferrers({ ref }, subject.digest, attached).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect(e).toMatchObject({
      message: `The ${ARTIFACT_TYPE_CYCLONEDX} referrer ${attached[1].digest} of ${ref.registry}/${repo}@${subject.digest} is not listed by its referrers tag ${tag} (2 listed)`,
      fix: expect.stringContaining('attach the statements again'),
    });
  });

  it('fails the read-back of a listed referrer whose subject is another image', async () => {
    const repo = 'itg/referrers-subject';
    const { subject, attached, client } = await pushed(repo);
    const tag = referrersTag(subject.digest);
    const otherImage: Descriptor = { mediaType: MEDIA_TYPE_MANIFEST, digest: digestOf(Buffer.from('y')), size: 1 };
    const bytes = Buffer.from('{"bomFormat":"CycloneDX"}');
    const wrong = artifactManifest(otherImage, { artifactType: ARTIFACT_TYPE_CYCLONEDX, bytes });
    await client.pushBlob(wrong.blob.digest, bytes);
    await client.putManifest(wrong.descriptor.digest, wrong.bytes, MEDIA_TYPE_MANIFEST);
    // Someone listed it under our image, and claims it as our SBOM.
    const index = JSON.parse((await client.manifest(tag)).bytes.toString());
    await client.putManifest(tag, referrersIndexBytes([...index.manifests, wrong.descriptor]), MEDIA_TYPE_INDEX);
    const claimed: AttachedReferrer = {
      artifactType: ARTIFACT_TYPE_CYCLONEDX,
      digest: wrong.descriptor.digest,
      size: wrong.descriptor.size,
      blobDigest: wrong.blob.digest,
      blobSize: wrong.blob.size,
      via: 'fallback-tag',
    };
    // Ours still prove; the impostor does not, and the error names both subjects.
    await expect(readBackReferrers(client, subject.digest, attached)).resolves.toHaveLength(2);
    await expect(readBackReferrers(client, subject.digest, [...attached, claimed])).rejects.toMatchObject({
      message: `The ${ARTIFACT_TYPE_CYCLONEDX} referrer ${wrong.descriptor.digest} of ${client.ref.registry}/${repo}@${subject.digest}: subject.digest is "${otherImage.digest}", expected "${subject.digest}"`,
      fix: 'This referrer belongs to another image; attach the statements to this image again',
    });
  });

  it('refuses to overwrite a referrers tag that holds something other than an index', async () => {
    const repo = 'itg/referrers-clobbered';
    const { address, ref, subject, artifacts, before, client } = await pushed(repo);
    const tag = referrersTag(subject.digest);
    // A different manifest PUT at the tag: the image manifest itself.
    await client.putManifest(tag, before.bytes, MEDIA_TYPE_MANIFEST);
    const where = `The referrers tag ${address}/${repo}:${tag}`;
    await expect(attachReferrers({ ref, subject, artifacts, created: CREATED }, memoryLog())).rejects.toMatchObject({
      message: `${where} is a ${MEDIA_TYPE_MANIFEST}, not an OCI image index`,
      fix: expect.stringContaining('delete that tag'),
    });
    await expect(readBackReferrers(client, subject.digest, [])).rejects.toThrow(
      `${where} is a ${MEDIA_TYPE_MANIFEST}, not an OCI image index`,
    );
    // And it was left as it was.
    expect((await rawManifest(address, repo, tag)).bytes.equals(before.bytes)).toBe(true);
  });
});

/**
 * A loopback proxy over the real registry that adds the one thing a referrers-API registry answers differently on
 * push: `OCI-Subject` on a manifest PUT whose body has a `subject` (distribution-spec v1.1 "Pushing Manifests with
 * Subject"), the subject digest, or `subject(digest)` when given. Everything else is the real registry's.
 */
async function ociSubjectProxy(target: string, subject: (digest: string) => string = (d) => d) {
  const [host, port] = target.split(':');
  const server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (b: Buffer) => body.push(b));
    req.on('end', () => {
      const bytes = Buffer.concat(body);
      let stamp: string | undefined;
      if (req.method === 'PUT' && req.url?.includes('/manifests/')) {
        const d = JSON.parse(bytes.toString() || '{}').subject?.digest;
        if (typeof d === 'string') stamp = subject(d);
      }
      const up = request({ host, port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, { ...r.headers, ...(stamp ? { 'oci-subject': stamp } : {}) });
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      up.end(bytes);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.runIf(ready)('a registry that answers OCI-Subject (proxy over docker-registry 2.8)', () => {
  const registry = useLocalRegistry();
  const subject: Descriptor = { mediaType: MEDIA_TYPE_MANIFEST, digest: digestOf(Buffer.from('image')), size: 5 };
  const artifacts = statements(subject.digest, digestOf(Buffer.from('wasm')));

  it('leaves the indexing to the registry: via referrers-api, and no sha256-<hex> tag', async () => {
    const proxy = await ociSubjectProxy(registry.current.address);
    try {
      const ref = parseImageRef(`${proxy.address}/itg/api:v1`);
      const attached = await attachReferrers({ ref, subject, artifacts }, memoryLog());
      expect(attached.map((a) => a.via)).toEqual(['referrers-api', 'referrers-api']);
      const tags = await new RegistryClient(parseImageRef(`${registry.current.address}/itg/api`)).tags();
      expect(tags).not.toContain(referrersTag(subject.digest));
      // The artifact manifests are there by digest all the same.
      const m = await rawManifest(registry.current.address, 'itg/api', attached[0].digest);
      expect(digestOf(m.bytes)).toBe(attached[0].digest);
    } finally {
      await proxy.close();
    }
  });

  it('refuses an OCI-Subject that names another subject', async () => {
    const other = digestOf(Buffer.from('other'));
    const proxy = await ociSubjectProxy(registry.current.address, () => other);
    try {
      const ref = parseImageRef(`${proxy.address}/itg/api-wrong:v1`);
      await expect(attachReferrers({ ref, subject, artifacts }, memoryLog())).rejects.toMatchObject({
        message: `Registry ${proxy.address} answered OCI-Subject "${other}" for the ${ARTIFACT_TYPE_IN_TOTO} referrer of ${proxy.address}/itg/api-wrong@${subject.digest}`,
        fix: expect.stringContaining(`another subject than ${subject.digest}`),
      });
    } finally {
      await proxy.close();
    }
  });
});
