// A hostile registry on 127.0.0.1 against the real pull, read-back and smoke-test action: wrong digests and sizes,
// oversized, slow, cut and hanging bodies, redirects, token realms on other origins and schemes, schema 1, invalid
// JSON, indexes, and a 3 MB gzip bomb. Each case asserts the exact one-line UserError, that no tag was written, and
// (for the action) that the password appears nowhere. The index fix runs against the real docker-registry too.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { memoryLog, UserError } from '@wasm-build/kit';
import {
  buildImage,
  entrypointModule,
  type ImageRef,
  listReferrers,
  MEDIA_TYPE_INDEX,
  MEDIA_TYPE_MANIFEST,
  parseImageRef,
  pullImage,
  pushImage,
  type ReferrerDescriptor,
  RegistryClient,
  type RegistryOptions,
  readBack,
  readLayoutImage,
  referrersIndexBytes,
  tagImage,
  writeLayout,
} from '@wasm-build/oci';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { corpusFile } from './helpers/corpus.ts';
import {
  type Answer,
  composeImage,
  composeIndex,
  gzipBomb,
  type HostileOptions,
  type HostileRegistry,
  type ServedImage,
  selfSignedCert,
  servedImage,
  sha256,
  startHostileRegistry,
} from './helpers/hostile-registry.ts';
import { pullInChild } from './helpers/pull-child.ts';
import { useLocalRegistry } from './helpers/registry.ts';
import { ROOT, runAction } from './helpers/run-action.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const USER = { username: 'ci', password: 'hostile-s3cret-Pa55' };
const SECRETS = [USER.password, Buffer.from(`${USER.username}:${USER.password}`).toString('base64')];
const FAST: RegistryOptions = { retry: { attempts: 2, minTimeoutMs: 10 }, timeoutMs: 2_000 };
const WASM = corpusFile('binaries/wasi-testsuite_as_fd_write-to-stdout.wasm');

let honest: ServedImage;
beforeAll(async () => {
  honest = servedImage(await buildImage({ wasm: WASM, name: 'app' }));
});

const servers: HostileRegistry[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function hostile(o: HostileOptions = {}, img: ServedImage = honest, tags = ['v1']): Promise<HostileRegistry> {
  const s = await startHostileRegistry(o);
  servers.push(s);
  s.serve(img, tags);
  return s;
}

async function pull(s: HostileRegistry, ref: string, o: RegistryOptions = {}) {
  const r = parseImageRef(`${s.address}/itg/app${ref}`);
  return pullImage(r, new RegistryClient(r, { ...FAST, ...o }));
}

/** The error `p` rejects with, which must be a UserError: its one line is what the user reads. */
async function userError(p: Promise<unknown>): Promise<UserError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, 'expected a rejection').toBeInstanceOf(UserError);
  return e as UserError;
}

const manifestPath = (ref: string) => `/v2/itg/app/manifests/${ref}`;
const blobPath = (d: string) => `/v2/itg/app/blobs/${d}`;
const layerDigest = () =>
  (JSON.parse(honest.manifest.bytes.toString()) as { layers: { digest: string }[] }).layers[0].digest;

describe('hostile registry: pullImage', () => {
  it('control: an honest image pulls, and its module is the one pushed', async () => {
    const s = await hostile({ auth: { basic: USER } });
    const img = await pull(s, ':v1', { credentials: USER });
    expect(img.digest).toBe(honest.manifest.digest);
    expect(sha256(await entrypointModule(img))).toBe(sha256(WASM));
    expect(s.log.some((l) => l.authorization?.startsWith('Basic '))).toBe(true);
  });

  describe('the manifest must be the one asked for', () => {
    it('refuses a manifest by digest that hashes to another digest, whatever Docker-Content-Digest says', async () => {
      const other = composeImage({ layers: [{ bytes: gzipBomb({ fileMiB: 1 }) }] });
      for (const header of [honest.manifest.digest, other.manifest.digest]) {
        const s = await hostile();
        s.fault = (r) =>
          r.path === manifestPath(honest.manifest.digest)
            ? {
                body: other.manifest.bytes,
                headers: { 'content-type': other.manifest.mediaType, 'docker-content-digest': header },
              }
            : undefined;
        const e = await userError(pull(s, `@${honest.manifest.digest}`));
        expect(e.message).toBe(
          `Registry ${s.address} served a manifest for ${s.address}/itg/app@${honest.manifest.digest} that hashes to ${other.manifest.digest}`,
        );
        expect(s.log.filter((l) => l.url.includes('/blobs/'))).toEqual([]);
      }
    });

    it('refuses a manifest by tag whose Docker-Content-Digest is not its hash', async () => {
      const s = await hostile();
      const lie = sha256(Buffer.from('another manifest'));
      s.fault = (r) =>
        r.path === manifestPath('v1')
          ? {
              body: honest.manifest.bytes,
              headers: { 'content-type': honest.manifest.mediaType, 'docker-content-digest': lie },
            }
          : undefined;
      const e = await userError(pull(s, ':v1'));
      expect(e.message).toBe(
        `Registry ${s.address} sent Docker-Content-Digest ${lie} for ${s.address}/itg/app:v1, but the manifest hashes to ${honest.manifest.digest}`,
      );
    });

    it('refuses a Docker-Content-Digest that is not a digest', async () => {
      const s = await hostile();
      s.fault = (r) =>
        r.path === manifestPath('v1')
          ? {
              body: honest.manifest.bytes,
              headers: { 'content-type': honest.manifest.mediaType, 'docker-content-digest': 'sha256:../../etc' },
            }
          : undefined;
      const e = await userError(pull(s, ':v1'));
      expect(e.message).toMatch(
        /^Registry 127\.0\.0\.1:\d+ sent an invalid Docker-Content-Digest "sha256:\.\.\/\.\.\/etc"/,
      );
    });

    it.each([
      ['a path', 'sha256:../../../../etc/passwd'],
      ['uppercase hex', `sha256:${'A'.repeat(64)}`],
      ['a short hex', 'sha256:abc'],
      ['an unknown algorithm', `md5:${'a'.repeat(32)}`],
    ])('refuses a layer digest that is %s before it becomes a URL', async (_what, digest) => {
      const s = await hostile({}, composeImage({ layers: [{ bytes: Buffer.from('x'), digest }] }));
      const e = await userError(pull(s, ':v1'));
      expect(e.message).toBe(
        `Invalid digest ${JSON.stringify(digest)} in the layer 0 descriptor of ${s.address}/itg/app:v1`,
      );
      // Refused while checking the manifest: not even the config was fetched, and no URL held the digest.
      expect(s.log.filter((l) => l.url.includes('/blobs/'))).toEqual([]);
      expect(s.log.filter((l) => l.url.includes('..') || l.url.includes('md5'))).toEqual([]);
    });

    it('refuses a blob whose bytes do not hash to its digest', async () => {
      const s = await hostile();
      const layer = honest.blobs.get(layerDigest())!;
      const evil = Buffer.from(layer);
      evil[evil.length - 1] ^= 0xff;
      s.fault = (r) => (r.path === blobPath(layerDigest()) ? { body: evil } : undefined);
      const e = await userError(pull(s, ':v1'));
      expect(e.message).toBe(`Blob ${layerDigest()} from ${s.address} hashes to ${sha256(evil)}`);
    });
  });

  describe('sizes: every body has its descriptor size and a limit', () => {
    it('refuses at once a blob whose Content-Length differs from its descriptor size, without retrying', async () => {
      const s = await hostile();
      const layer = honest.blobs.get(layerDigest())!;
      s.fault = (r) =>
        r.path === blobPath(layerDigest()) ? { body: Buffer.concat([layer, Buffer.alloc(10)]) } : undefined;
      const e = await userError(pull(s, ':v1'));
      expect(e.message).toBe(
        `Registry ${s.address} sent ${layer.length + 10} bytes (Content-Length) for blob ${layerDigest()} of ${s.address}/itg/app, whose descriptor says ${layer.length}`,
      );
      expect(s.log.filter((l) => l.url === blobPath(layerDigest()))).toHaveLength(1);
    });

    it('refuses while streaming a chunked blob that goes past its descriptor size', async () => {
      const s = await hostile();
      const size = honest.blobs.get(layerDigest())!.length;
      s.fault = (r) => (r.path === blobPath(layerDigest()) ? { fill: 50 << 20, contentLength: null } : undefined);
      const e = await userError(pull(s, ':v1'));
      expect(e.message).toBe(
        `Registry ${s.address} sent more than ${size} bytes for blob ${layerDigest()} of ${s.address}/itg/app, its descriptor size`,
      );
    });

    it('refuses a chunked blob that ends short of its descriptor size', async () => {
      const s = await hostile();
      const layer = honest.blobs.get(layerDigest())!;
      s.fault = (r) =>
        r.path === blobPath(layerDigest()) ? { body: layer.subarray(0, 100), contentLength: null } : undefined;
      const e = await userError(pull(s, ':v1'));
      expect(e.message).toBe(
        `Registry ${s.address} sent 100 bytes for blob ${layerDigest()} of ${s.address}/itg/app, whose descriptor says ${layer.length}`,
      );
    });

    it('refuses a 200 MB manifest at its Content-Length, and a chunked one after 4 MiB', async () => {
      const s = await hostile();
      s.fault = (r) =>
        r.path === manifestPath('v1') ? { fill: 200 << 20, contentLength: r.n === 1 ? undefined : null } : undefined;
      const started = Date.now();
      const declared = await userError(pull(s, ':v1', { retry: { attempts: 1 } }));
      expect(declared.message).toBe(
        `Registry ${s.address} sent ${200 << 20} bytes for the manifest of ${s.address}/itg/app:v1, more than the 4194304 allowed`,
      );
      const chunked = await userError(pull(s, ':v1', { retry: { attempts: 1 } }));
      expect(chunked.message).toBe(
        `Registry ${s.address} sent more than 4194304 bytes for the manifest of ${s.address}/itg/app:v1, the most allowed`,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('counts a manifest sent gzip-encoded anyway as it is decoded, and refuses it past 4 MiB', async () => {
      const s = await hostile();
      const bomb = gzipSync(Buffer.alloc(20 << 20, 0x20));
      s.fault = (r) =>
        r.path === manifestPath('v1')
          ? { body: bomb, headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' } }
          : undefined;
      const e = await userError(pull(s, ':v1', { retry: { attempts: 1 } }));
      expect(e.message).toBe(
        `Registry ${s.address} sent more than 4194304 bytes for the manifest of ${s.address}/itg/app:v1, the most allowed`,
      );
      expect(s.log[0].url).toBe(manifestPath('v1'));
    });

    it('refuses a 100 MB token', async () => {
      const s = await hostile({ auth: { bearer: { credentials: USER } } });
      s.fault = (r) =>
        r.path === '/token' ? { fill: 100 << 20, headers: { 'content-type': 'application/json' } } : undefined;
      const e = await userError(pull(s, ':v1', { credentials: USER }));
      expect(e.message).toBe(
        `Registry ${s.address} sent ${100 << 20} bytes for the token from ${s.url}, more than the 1048576 allowed`,
      );
    });

    it('refuses a layer descriptor over the 1 GiB limit before fetching anything', async () => {
      const s = await hostile({}, composeImage({ layers: [{ bytes: Buffer.from('x'), size: 3 * 2 ** 30 }] }));
      const e = await userError(pull(s, ':v1'));
      expect(e.message).toBe(
        `The layer in the layer 0 descriptor of ${s.address}/itg/app:v1 is ${3 * 2 ** 30} bytes, more than the 1073741824 allowed`,
      );
      expect(s.log.filter((l) => l.url.includes('/blobs/'))).toEqual([]);
    });
  });

  describe('media types and documents: one clear line each', () => {
    const cases: [string, Answer, RegExp][] = [
      [
        'a schema 1 manifest',
        {
          body: JSON.stringify({ schemaVersion: 1, name: 'itg/app', tag: 'v1', fsLayers: [], history: [] }),
          headers: {
            'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws',
            'docker-content-digest': undefined,
          },
        },
        /^The manifest of 127\.0\.0\.1:\d+\/itg\/app:v1 is a Docker schema 1 manifest\. Docker schema 1 manifests are deprecated/,
      ],
      [
        'invalid JSON',
        {
          body: '{"schemaVersion":2,"config":',
          headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': undefined },
        },
        /^The manifest of 127\.0\.0\.1:\d+\/itg\/app:v1 is not valid JSON \(28 bytes; truncated or corrupt\)\. /,
      ],
      [
        'an artifact manifest',
        {
          body: JSON.stringify({
            schemaVersion: 2,
            mediaType: 'application/vnd.oci.artifact.manifest.v1+json',
            blobs: [],
          }),
          headers: {
            'content-type': 'application/vnd.oci.artifact.manifest.v1+json',
            'docker-content-digest': undefined,
          },
        },
        /has media type "application\/vnd\.oci\.artifact\.manifest\.v1\+json", not an image or index/,
      ],
      [
        'an ambiguous manifest (both manifests and layers)',
        {
          body: JSON.stringify({ schemaVersion: 2, manifests: [], layers: [], config: {} }),
          headers: { 'content-type': 'application/json', 'docker-content-digest': undefined },
        },
        /is ambiguous: it has both "manifests" and "layers"\/"config"/,
      ],
      [
        'a manifest without a config',
        {
          body: JSON.stringify({
            schemaVersion: 2,
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            layers: [],
          }),
          headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': undefined },
        },
        /is not a valid image manifest \(config: /,
      ],
    ];
    it.each(cases)('%s', async (_what, answer, message) => {
      const s = await hostile();
      s.fault = (r) => (r.path === manifestPath('v1') ? answer : undefined);
      const e = await userError(pull(s, ':v1'));
      expect(`${e.message}. ${e.fix}`).toMatch(message);
      expect(e.message).not.toMatch(/Unexpected end|Cannot read properties/);
    });

    it.each([
      [
        'config',
        { configMediaType: 'application/vnd.oci.empty.v1+json' },
        /^Unsupported media type "application\/vnd\.oci\.empty\.v1\+json" for the image config/,
      ],
      [
        'layer',
        { layerMediaType: 'application/vnd.wasm.content.layer.v1+wasm' },
        /^Unsupported media type "application\/vnd\.wasm\.content\.layer\.v1\+wasm" for the layer in the layer 0 descriptor/,
      ],
      [
        'non-distributable layer',
        { layerMediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip' },
        /^Unsupported media type .*foreign.* for the layer/,
      ],
    ])('refuses a %s of a media type the image spec does not allow there', async (_what, o, message) => {
      const img = composeImage({
        layers: [{ bytes: Buffer.from('x'), mediaType: (o as { layerMediaType?: string }).layerMediaType }],
        configMediaType: (o as { configMediaType?: string }).configMediaType,
      });
      const s = await hostile({}, img);
      const e = await userError(pull(s, ':v1'));
      expect(e.message).toMatch(message);
      expect(s.log.filter((l) => l.url.includes('/blobs/'))).toEqual([]);
    });
  });

  describe('transfers: cut, slow and hanging answers end within their timeout', () => {
    it('reports a blob cut mid-transfer after retrying it', async () => {
      const s = await hostile();
      const size = honest.blobs.get(layerDigest())!.length;
      s.fault = (r) =>
        r.path === blobPath(layerDigest()) ? { body: honest.blobs.get(layerDigest())!, cutAfter: 100 } : undefined;
      const e = await userError(pull(s, ':v1'));
      expect(e.message).toBe(
        `Registry ${s.address} cut blob ${layerDigest()} of ${s.address}/itg/app mid-transfer after 100 of ${size} bytes (2 attempts)`,
      );
      expect(e.fix).toBe('The connection to the registry broke; retry later');
      expect(s.log.filter((l) => l.url === blobPath(layerDigest()))).toHaveLength(2);
    });

    it('reports a manifest cut mid-transfer', async () => {
      const s = await hostile();
      s.fault = (r) =>
        r.path === manifestPath('v1')
          ? { body: honest.manifest.bytes, cutAfter: 50, headers: { 'content-type': honest.manifest.mediaType } }
          : undefined;
      const e = await userError(pull(s, ':v1'));
      expect(e.message).toBe(
        `Registry ${s.address} cut the manifest of ${s.address}/itg/app:v1 mid-transfer after 50 of ${honest.manifest.bytes.length} bytes (2 attempts)`,
      );
    });

    it('gives up on a slow body at its deadline', async () => {
      const s = await hostile();
      s.fault = (r) =>
        r.path === manifestPath('v1')
          ? {
              body: honest.manifest.bytes,
              slow: { chunk: 1, delayMs: 50 },
              headers: { 'content-type': honest.manifest.mediaType },
            }
          : undefined;
      const started = Date.now();
      const e = await userError(pull(s, ':v1', { timeoutMs: 400 }));
      expect(e.message).toMatch(
        new RegExp(
          `^Registry ${s.address} was too slow sending the manifest of ${s.address}/itg/app:v1 \\(\\d+ bytes in \\d+ ms\\) \\(2 attempts\\)$`,
        ),
      );
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it('gives up on a registry that accepts the connection and never answers', async () => {
      const s = await hostile();
      s.fault = (r) => (r.path === manifestPath('v1') ? { hang: true } : undefined);
      const started = Date.now();
      const e = await userError(pull(s, ':v1', { timeoutMs: 300 }));
      expect(e.message).toBe(`Registry ${s.address} did not answer GET /manifests/v1 within 300 ms (2 attempts)`);
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it('gives up on a token realm that accepts the connection and never answers', async () => {
      const s = await hostile({ auth: { bearer: { credentials: USER } } });
      s.fault = (r) => (r.path === '/token' ? { hang: true } : undefined);
      const started = Date.now();
      const e = await userError(pull(s, ':v1', { credentials: USER, timeoutMs: 300 }));
      expect(e.message).toBe(
        `Token service ${s.url} of registry ${s.address} did not answer within 300 ms (2 attempts)`,
      );
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it('refuses a duration the timers cannot hold', () => {
      const r = parseImageRef('127.0.0.1:1/itg/app');
      for (const timeoutMs of [1e12, 0, -1, 1.5]) expect(() => new RegistryClient(r, { timeoutMs })).toThrow(UserError);
      expect(() => new RegistryClient(r, { timeoutMs: 1e12 })).toThrow('Invalid registry timeout 1000000000000 ms');
    });
  });

  describe('auth: the login goes to the registry and to a safe token realm only', () => {
    it('follows a blob redirect to storage on another origin without the Authorization header', async () => {
      const storage = await hostile();
      const s = await hostile({ auth: { basic: USER } });
      s.fault = (r) =>
        r.path === blobPath(layerDigest()) ? { redirect: `${storage.url}/storage/${layerDigest()}` } : undefined;
      storage.fault = (r) => (r.path.startsWith('/storage/') ? { body: honest.blobs.get(layerDigest())! } : undefined);
      const img = await pull(s, ':v1', { credentials: USER });
      expect(sha256(await entrypointModule(img))).toBe(sha256(WASM));
      expect(storage.log.map((l) => [l.url, l.authorization])).toEqual([[`/storage/${layerDigest()}`, undefined]]);
      expect(s.log.find((l) => l.url === blobPath(layerDigest()))?.authorization).toMatch(/^Basic /);
    });

    it('gives up on a redirect loop', async () => {
      const s = await hostile();
      s.fault = (r) =>
        r.path === blobPath(layerDigest()) ? { redirect: `${s.url}${blobPath(layerDigest())}` } : undefined;
      const e = await userError(pull(s, ':v1'));
      expect(e.message).toBe(`Registry ${s.address} redirected GET /blobs/${layerDigest()} more than 5 times`);
    });

    it('refuses a token realm on another origin over plain HTTP, and sends it nothing', async () => {
      const realm = await hostile();
      const s = await hostile({ auth: { bearer: { realm: `${realm.url}/token`, credentials: USER } } });
      const e = await userError(pull(s, ':v1', { credentials: USER }));
      expect(e.message).toBe(
        `Refusing the token realm ${realm.url} of registry ${s.address}: it is another origin than ${s.url} over plain HTTP`,
      );
      expect(realm.log).toEqual([]);
    });

    it('control: a token realm on the registry origin gives a token, sent as Bearer', async () => {
      const s = await hostile({ auth: { bearer: { credentials: USER, token: 'tok-123' } } });
      await pull(s, ':v1', { credentials: USER });
      expect(s.log.find((l) => l.url.startsWith('/token'))?.authorization).toMatch(/^Basic /);
      expect(s.log.filter((l) => l.authorization === 'Bearer tok-123').length).toBeGreaterThan(1);
    });
  });

  describe('indexes', () => {
    const otherPlatform = () =>
      composeImage({ layers: [{ bytes: Buffer.from('linux') }], config: { os: 'linux', architecture: 'amd64' } });

    it('fetches the wasi/wasm child of an index from /manifests/, never /blobs/', async () => {
      const index = composeIndex([
        { image: otherPlatform(), platform: { os: 'linux', architecture: 'amd64' } },
        { image: honest, platform: { os: 'wasi', architecture: 'wasm' } },
      ]);
      const s = await hostile({}, index);
      s.serve(honest);
      const img = await pull(s, ':v1');
      expect(img.digest).toBe(honest.manifest.digest);
      expect(s.log.map((l) => l.url)).toContain(manifestPath(honest.manifest.digest));
      expect(s.log.map((l) => l.url)).not.toContain(blobPath(honest.manifest.digest));
    });

    it('refuses an index with no wasi/wasm entry, naming the platforms', async () => {
      const s = await hostile(
        {},
        composeIndex([{ image: otherPlatform(), platform: { os: 'linux', architecture: 'amd64' } }]),
      );
      const e = await userError(pull(s, ':v1'));
      expect(e.message).toBe(`${s.address}/itg/app:v1 is an index with no wasi/wasm image (platforms: linux/amd64)`);
    });

    it('refuses a wasi/wasm entry that is another index', async () => {
      const inner = composeIndex([{ image: honest, platform: { os: 'wasi', architecture: 'wasm' } }]);
      const s = await hostile({}, composeIndex([{ image: inner, platform: { os: 'wasi', architecture: 'wasm' } }]));
      const e = await userError(pull(s, ':v1'));
      expect(e.message).toMatch(
        /^Unsupported media type "application\/vnd\.oci\.image\.index\.v1\+json" for the image manifest in the wasi\/wasm entry/,
      );
    });
  });

  describe('read-back and temp dirs', () => {
    it('read-back refuses a lying registry before any tag is written', async () => {
      const s = await hostile();
      const evil = composeImage({ layers: [{ bytes: gzipBomb({ fileMiB: 1, name: 'app.wasm' }) }] });
      s.fault = (r) =>
        r.path === manifestPath(honest.manifest.digest)
          ? { body: evil.manifest.bytes, headers: { 'content-type': evil.manifest.mediaType } }
          : undefined;
      const ref: ImageRef = { registry: s.address, repository: 'itg/app' };
      const e = await userError(
        readBack(ref, { digest: honest.manifest.digest, wasmDigest: sha256(WASM), entrypoint: '/app.wasm' }, FAST),
      );
      expect(e.message).toBe(
        `Registry ${s.address} served a manifest for ${s.address}/itg/app@${honest.manifest.digest} that hashes to ${evil.manifest.digest}`,
      );
      expect(s.puts()).toEqual([]);
    });

    describe('read-back by HEAD: the layer we built is proven without downloading it', () => {
      const ref: ImageRef = { registry: '', repository: 'itg/app' };
      const configDigest = () =>
        (JSON.parse(honest.manifest.bytes.toString()) as { config: { digest: string } }).config.digest;
      const expected = () => ({
        digest: honest.manifest.digest,
        wasmDigest: sha256(WASM),
        entrypoint: '/app.wasm',
        layerDigest: layerDigest(),
        configDigest: configDigest(),
      });
      const tag = (s: HostileRegistry) =>
        tagImage(
          { ref: { ...ref, registry: s.address }, expected: expected(), tags: ['v2'], retry: FAST.retry },
          memoryLog(),
        );

      it('control: an honest registry proves it with a HEAD of the layer and no GET of it, then tags', async () => {
        const s = await hostile();
        const r = await tag(s);
        expect(r.proof.layerProof).toBe('head');
        const layerRequests = s.log.filter((l) => l.url === blobPath(layerDigest()));
        expect(layerRequests.map((l) => l.method)).toEqual(['HEAD']);
        expect(s.puts().map((l) => l.url)).toEqual([manifestPath('v2')]);
        // The smoke test's fetch is the only GET of the layer, checked as a pull checks it, and done once.
        const img = await r.proof.runnable();
        expect(await r.proof.runnable()).toBe(img);
        expect(sha256(await entrypointModule(img))).toBe(sha256(WASM));
        expect(s.log.filter((l) => l.url === blobPath(layerDigest())).map((l) => l.method)).toEqual(['HEAD', 'GET']);
      });

      it.each<[string, (size: number) => Answer, (s: HostileRegistry, size: number) => string]>([
        [
          'a wrong Content-Length',
          (size) => ({ body: honest.blobs.get(layerDigest())!, contentLength: size + 1 }),
          (s, size) =>
            `Registry ${s.address} answered HEAD of blob ${layerDigest()} of ${s.address}/itg/app with Content-Length ${size + 1}, but its descriptor says ${size}`,
        ],
        [
          'a wrong Docker-Content-Digest',
          () => ({
            body: honest.blobs.get(layerDigest())!,
            headers: { 'docker-content-digest': sha256(Buffer.from('another layer')) },
          }),
          (s) =>
            `Registry ${s.address} answered HEAD of blob ${layerDigest()} of ${s.address}/itg/app with Docker-Content-Digest ${sha256(Buffer.from('another layer'))}`,
        ],
        [
          'an invalid Docker-Content-Digest',
          () => ({ body: honest.blobs.get(layerDigest())!, headers: { 'docker-content-digest': 'sha256:../../x' } }),
          (s) =>
            `Registry ${s.address} sent an invalid Docker-Content-Digest "sha256:../../x" for blob ${layerDigest()} of ${s.address}/itg/app`,
        ],
        [
          'a 404',
          () => ({ status: 404, body: '{"errors":[{"code":"BLOB_UNKNOWN"}]}' }),
          (s) => `Blob ${layerDigest()} of ${s.address}/itg/app not found in the registry`,
        ],
      ])('a layer HEAD answering %s fails in one line, and no tag is written', async (_what, lie, message) => {
        const s = await hostile();
        const size = honest.blobs.get(layerDigest())!.length;
        s.fault = (r) => (r.method === 'HEAD' && r.path === blobPath(layerDigest()) ? lie(size) : undefined);
        const e = await userError(tag(s));
        expect(e.message).toBe(message(s, size));
        expect(e.fix).toMatch(/push (it|the image) again/);
        expect(s.puts()).toEqual([]);
        expect(s.log.filter((l) => l.method === 'GET' && l.url === blobPath(layerDigest()))).toEqual([]);
      });

      it('refuses a manifest that names another layer than the one built, before any blob request', async () => {
        const s = await hostile();
        const other = sha256(Buffer.from('another layer'));
        const e = await userError(
          readBack({ ...ref, registry: s.address }, { ...expected(), layerDigest: other }, FAST),
        );
        expect(e.message).toBe(
          `Read-back of ${s.address}/itg/app: the layer digest is ${layerDigest()}, expected ${other}`,
        );
        expect(s.log.filter((l) => l.url === blobPath(layerDigest()))).toEqual([]);
      });

      it('downloads and hashes the layer when its HEAD gives no Content-Length (no size proven)', async () => {
        const s = await hostile();
        s.fault = (r) =>
          r.method === 'HEAD' && r.path === blobPath(layerDigest())
            ? { body: honest.blobs.get(layerDigest())!, contentLength: null }
            : undefined;
        const proof = await readBack({ ...ref, registry: s.address }, expected(), FAST);
        expect(proof.layerProof).toBe('download');
        expect(sha256(proof.wasm!)).toBe(sha256(WASM));
      });

      it('downloads and hashes the layer when its HEAD states no Docker-Content-Digest (a claim, not a proof)', async () => {
        const s = await hostile();
        s.fault = (r) =>
          r.method === 'HEAD' && r.path === blobPath(layerDigest())
            ? { body: honest.blobs.get(layerDigest())!, headers: { 'docker-content-digest': undefined } }
            : undefined;
        const proof = await readBack({ ...ref, registry: s.address }, expected(), FAST);
        expect(proof.layerProof).toBe('download');
        expect(sha256(proof.wasm!)).toBe(sha256(WASM));
        expect(s.log.filter((l) => l.method === 'GET' && l.url === blobPath(layerDigest()))).toHaveLength(1);
      });
    });

    it('a pull without a layout dir writes nothing; with one, only that dir, and it reads back', async () => {
      const temp = process.env.RUNNER_TEMP!;
      const before = readdirSync(temp);
      const s = await hostile();
      await pull(s, ':v1');
      expect(readdirSync(temp)).toEqual(before);
      s.fault = (r) => (r.path === blobPath(layerDigest()) ? { status: 404 } : undefined);
      const dir = join(mkdtempSync(join(tmpdir(), 'itg-hostile-')), 'layout');
      const r = parseImageRef(`${s.address}/itg/app:v1`);
      await userError(pullImage(r, new RegistryClient(r, FAST), dir));
      expect(existsSync(dir)).toBe(false);
      s.fault = undefined;
      await pullImage(r, new RegistryClient(r, FAST), dir);
      expect((await readLayoutImage(dir)).digest).toBe(honest.manifest.digest);
    });
  });
});

describe('hostile registry: the built-in push (backend builtin)', () => {
  // What the image stage hands the push: the honest image, as built.
  const push = async (s: HostileRegistry, extra: Partial<Parameters<typeof pushImage>[0]> = {}) =>
    pushImage(
      {
        backend: 'builtin',
        image: await buildImage({ wasm: WASM, name: 'app' }),
        wasm: WASM,
        name: 'app',
        layoutDir: '/nonexistent-layout-unused-by-builtin',
        layoutTag: 'v1',
        ref: parseImageRef(`${s.address}/itg/app`),
        tags: ['v1'],
        retry: FAST.retry,
        ...extra,
      },
      memoryLog(),
    );

  it('control: blobs the registry holds are not uploaded; the manifest goes by digest, then the tag', async () => {
    const s = await hostile({}, honest, []);
    const r = await push(s);
    expect([r.bytesUploaded, r.blobsUploaded, r.blobsPresent, r.command]).toEqual([0, 0, 2, undefined]);
    expect(s.log.filter((l) => l.method === 'POST')).toEqual([]);
    expect(s.puts().map((l) => l.url)).toEqual([manifestPath(honest.manifest.digest), manifestPath('v1')]);
  });

  it('refuses a registry that stores the manifest under another digest, and writes no tag', async () => {
    const s = await hostile({}, honest, []);
    const other = `sha256:${'0'.repeat(64)}`;
    s.fault = (r) =>
      r.method === 'PUT' ? { status: 201, headers: { 'docker-content-digest': other }, body: '' } : undefined;
    const e = await userError(push(s));
    expect(e.message).toBe(
      `Registry ${s.address} stored the manifest ${honest.manifest.digest} of itg/app as "${other}" (Docker-Content-Digest)`,
    );
    expect(e.fix).toMatch(/^The registry rewrote the manifest; no tag was written/);
    expect(s.puts().map((l) => l.url)).toEqual([manifestPath(honest.manifest.digest)]);
  });

  it('a client prepared ahead logs in once, for pull and push, and the push reuses its token', async () => {
    const s = await hostile({ auth: { bearer: { credentials: USER } } }, honest, []);
    const client = new RegistryClient({ registry: s.address, repository: 'itg/app' }, { ...FAST, credentials: USER });
    await client.prepare();
    const tokens = () => s.log.filter((l) => l.url.startsWith('/token'));
    expect(tokens().map((l) => new URL(l.url, s.url).searchParams.get('scope'))).toEqual([
      'repository:itg/app:pull,push',
    ]);
    const before = s.log.length;
    await push(s, { credentials: USER, client, retry: undefined });
    // No second login and no 401 round trip: every request of the push carried the prepared token.
    expect(tokens()).toHaveLength(1);
    expect(s.log.slice(before).filter((l) => l.answer === 401)).toEqual([]);
  });

  it('prepare never throws: an unreachable registry, and a silent one stopped by its signal', async () => {
    const gone = new RegistryClient({ registry: '127.0.0.1:1', repository: 'itg/app' }, FAST);
    await expect(gone.prepare()).resolves.toBeUndefined();
    const s = await hostile();
    s.fault = () => ({ hang: true });
    const ac = new AbortController();
    const t = performance.now();
    const p = new RegistryClient({ registry: s.address, repository: 'itg/app' }, { timeoutMs: 60_000 }).prepare(
      ac.signal,
    );
    setTimeout(() => ac.abort(), 50);
    await expect(p).resolves.toBeUndefined();
    // Stopped by the signal, not by the 60 s timeout.
    expect(performance.now() - t).toBeLessThan(30_000);
  });

  it('sends no blob to an upload URL on another origin', async () => {
    const s = await startHostileRegistry({});
    servers.push(s);
    s.fault = (r) =>
      r.method === 'POST'
        ? { status: 202, headers: { location: 'http://127.0.0.1:9/v2/itg/app/blobs/uploads/x' } }
        : undefined;
    const e = await userError(push(s));
    expect(e.message).toBe(
      `Registry ${s.address} sent an upload URL outside itg/app (http://127.0.0.1:9/v2/itg/app/blobs/uploads/x)`,
    );
    expect(s.log.filter((l) => l.method === 'PUT')).toEqual([]);
  });
});

describe('hostile registry: a referrers list in pages (Link rel="next")', () => {
  const subject = sha256(Buffer.from('image'));
  const referrer = (n: number): ReferrerDescriptor => ({
    mediaType: MEDIA_TYPE_MANIFEST,
    digest: sha256(Buffer.from(`referrer ${n}`)),
    size: 100 + n,
    artifactType: 'application/vnd.in-toto+json',
  });
  const path = `/v2/itg/app/referrers/${subject}`;
  /** Serves the list as the distribution-spec pages tag lists: `?last=` names the page's start, Link the next. */
  async function paged(next: (page: number, url: string) => string | undefined, pages = 3) {
    const s = await startHostileRegistry({});
    servers.push(s);
    s.fault = (r) => {
      if (r.path !== path) return undefined;
      const page = Number(new URL(r.url, s.url).searchParams.get('last') ?? 0);
      if (page >= pages) return { status: 404, body: '{}' };
      const link = next(page, r.url);
      return {
        headers: { 'content-type': MEDIA_TYPE_INDEX, ...(link ? { link } : {}) },
        body: referrersIndexBytes([referrer(2 * page), referrer(2 * page + 1)]),
      };
    };
    return { s, client: new RegistryClient(parseImageRef(`${s.address}/itg/app`), FAST) };
  }

  it('follows every page, in order, from relative and absolute links', async () => {
    const { s, client } = await paged((page) =>
      page === 0
        ? `<${path}?n=2&last=1>; rel="next"`
        : page === 1
          ? `<${s.url}${path}?n=2&last=2>; rel="next"`
          : undefined,
    );
    const listed = await listReferrers(client, subject);
    expect(listed.via).toBe('referrers-api');
    expect(listed.referrers.map((d) => d.digest)).toEqual([0, 1, 2, 3, 4, 5].map((n) => referrer(n).digest));
    expect(s.log.filter((l) => l.url.startsWith(path)).map((l) => l.url)).toEqual([
      path,
      `${path}?n=2&last=1`,
      `${path}?n=2&last=2`,
    ]);
  });

  it.each([
    [
      'another origin',
      () => '<http://127.0.0.1:9/v2/itg/app/referrers/x?last=1>; rel="next"',
      /sent a next-page Link outside itg\/app \(http:\/\/127\.0\.0\.1:9\/v2\/itg\/app\/referrers\/x\)$/,
    ],
    [
      'another path of the registry',
      () => '</v2/itg/app/manifests/v1?last=1>; rel="next"',
      /sent a next-page Link outside itg\/app/,
    ],
    ['a loop', (_: number, url: string) => `<${url}>; rel="next"`, /served the referrers of .* in more than 64 pages$/],
    ['a link that does not parse', () => 'garbage', /sent a Link header that does not parse with the referrers of/],
    [
      'a later page that is gone',
      () => `<${path}?last=9>; rel="next"`,
      /answered 404 for the referrers of .* \(page 2\)$/,
    ],
  ])('refuses %s, naming it', async (_, next, message) => {
    const { s, client } = await paged(next);
    const e = await userError(listReferrers(client, subject));
    expect(e.message).toMatch(message);
    // Nothing was sent outside the registry, and the loop stopped at the cap.
    expect(s.log.filter((l) => l.url.startsWith(path)).length).toBeLessThanOrEqual(64);
  });
});

describe('hostile registry: a 3 MB gzip bomb that inflates to 3 GiB', () => {
  const refused =
    /^Refusing layer sha256:[a-f0-9]{64}: it decompresses to more than \d+ bytes \(\d+ bytes compressed, at most 32x or 1073741824 bytes\)$/;
  it.each([
    // The entry's header declares 3 GiB: refused before any of it is inflated, where the reader sees headers.
    [
      'one 3 GiB file',
      { fileMiB: 3072, files: 1 },
      /^Layer sha256:[a-f0-9]{64} of sha256:[a-f0-9]{64} has an entry "app\.wasm" of 3221225472 bytes, more than the 1073741824 allowed$/,
    ],
    // Every entry is small: refused when the inflated stream passes the cap.
    ['384 files of 8 MiB', { fileMiB: 8, files: 384 }, refused],
  ])('with %s is refused, and pulling, reading the entrypoint and unpacking stay under 256 MiB of RSS', async (what, shape, entrypointError) => {
    const bomb = gzipBomb(shape);
    expect(bomb.length).toBeLessThan(4 << 20);
    const s = await hostile({}, composeImage({ layers: [{ bytes: bomb }] }));
    const rootfs = mkdtempSync(join(tmpdir(), 'itg-bomb-'));
    const r = await pullInChild({ image: `${s.address}/itg/app:v1`, entrypoint: true, unpackTo: rootfs });
    expect(r.steps.pull, r.output).toEqual({ ok: true });
    expect(r.steps.entrypoint).toMatchObject({
      ok: false,
      name: 'UserError',
      message: expect.stringMatching(entrypointError),
    });
    expect(r.steps.unpack).toMatchObject({ ok: false, name: 'UserError' });
    // unpackLayers (packages/smoke) reads the layer through layerTar, whose cap refuses it either way.
    expect(r.steps.unpack.message).toMatch(/(decompresses to more than|bytes, more than the \d+ allowed)/);
    console.log(`gzip bomb, ${what}: peak RSS of pull + entrypoint + unpack ${Math.round(r.maxRssKiB / 1024)} MiB`);
    expect(r.maxRssKiB).toBeGreaterThan(0);
    expect(r.maxRssKiB / 1024).toBeLessThan(256);
  });
});

describe.runIf(
  requireTools('index pull from a real registry', { 'docker-registry (apt docker-registry)': HAVE.registry }),
)('a real distribution registry: an index and its wasi/wasm child', () => {
  const registry = useLocalRegistry();

  async function upload(repo: string, bytes: Buffer): Promise<void> {
    const base = `http://${registry.current.address}/v2/${repo}/blobs/uploads/`;
    const start = await fetch(base, { method: 'POST', signal: AbortSignal.timeout(10_000) });
    expect(start.status).toBe(202);
    const location = new URL(start.headers.get('location')!, base);
    location.searchParams.set('digest', sha256(bytes));
    const put = await fetch(location, {
      method: 'PUT',
      body: new Uint8Array(bytes),
      headers: { 'content-type': 'application/octet-stream' },
      signal: AbortSignal.timeout(10_000),
    });
    expect(put.status).toBe(201);
  }

  it('pulls a multi-platform image by tag, the child fetched as a manifest', async () => {
    const other = composeImage({
      layers: [{ bytes: Buffer.from('linux') }],
      config: { os: 'linux', architecture: 'amd64' },
    });
    const index = composeIndex([
      { image: other, platform: { os: 'linux', architecture: 'amd64' } },
      { image: honest, platform: { os: 'wasi', architecture: 'wasm' } },
    ]);
    const ref = parseImageRef(`${registry.current.address}/itg/multi:v1`);
    const client = new RegistryClient(ref, FAST);
    for (const b of index.blobs.values()) await upload('itg/multi', b);
    for (const m of [other, honest])
      await client.putManifest(m.manifest.digest, m.manifest.bytes, m.manifest.mediaType);
    await client.putManifest('v1', index.manifest.bytes, index.manifest.mediaType);
    const img = await pullImage(ref, client);
    expect(img.digest).toBe(honest.manifest.digest);
    expect(sha256(await entrypointModule(img))).toBe(sha256(WASM));
  });
});

const ACTION = join(ROOT, 'actions/smoke-test/dist/index.cjs');
const haveDist = existsSync(ACTION);
if (!haveDist)
  console.log('SKIP smoke-test action on a hostile registry: missing actions/smoke-test/dist (npm run build-dist)');

/** Every file under `dir`, recursively, as text. */
function filesUnder(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile()) out.push({ path: p, text: readFileSync(p, 'latin1') });
  }
  return out;
}

describe.runIf(haveDist)('hostile registry: the smoke-test action as the runner runs it', () => {
  const cert = selfSignedCert();
  // A fresh working dir, HOME and RUNNER_TEMP per run: what is left in them afterwards is what the action wrote.
  async function run(inputs: Record<string, string>, env: Record<string, string> = {}) {
    const cwd = mkdtempSync(join(tmpdir(), 'itg-hostile-cwd-'));
    const home = mkdtempSync(join(tmpdir(), 'itg-hostile-home-'));
    const runnerTemp = mkdtempSync(join(tmpdir(), 'itg-hostile-rt-'));
    const r = await runAction(
      'smoke-test',
      { runtimes: 'node', username: USER.username, password: USER.password, ...inputs },
      { cwd, env: { HOME: home, RUNNER_TEMP: runnerTemp, ...env } },
    );
    const shown = r.stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
    const left = filesUnder(runnerTemp);
    for (const secret of SECRETS) {
      for (const [where, text] of [
        ['stdout', shown],
        ['stderr', r.stderr],
        ['GITHUB_OUTPUT', JSON.stringify(r.outputs)],
        ['step summary', r.summary],
        ...left.map((f) => [f.path, f.text]),
      ])
        expect(text.includes(secret), `the password is in ${where}`).toBe(false);
    }
    expect(readdirSync(cwd), 'files written to the working dir').toEqual([]);
    expect(readdirSync(home), 'files written to HOME').toEqual([]);
    const bundle = readFileSync(ACTION, 'utf8');
    if (bundle.includes('wasm-build-pull-')) {
      console.log(
        'SKIP no wasm-build-pull-* left check: actions/smoke-test/src/main.ts still makes one (see the oci report)',
      );
    } else {
      expect(readdirSync(runnerTemp).filter((f) => f.startsWith('wasm-build-pull-'))).toEqual([]);
    }
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error::'));
    return { ...r, errors };
  }

  it('control: an honest image behind Basic auth passes under node', async () => {
    const s = await hostile({ auth: { basic: USER } });
    const r = await run({ image: `${s.address}/itg/app@${honest.manifest.digest}` });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.outputs.results)).toEqual([
      expect.objectContaining({ runtime: expect.stringMatching(/^node /), status: 'pass' }),
    ]);
  });

  // Each case answers the manifest request its way once the action has logged in (so the secret was sent).
  const cases: [string, string, (s: HostileRegistry) => Answer, RegExp][] = [
    [
      'a manifest by digest that is another manifest',
      `@DIGEST`,
      () => {
        const other = composeImage({ layers: [{ bytes: Buffer.from('x') }] }).manifest;
        return { body: other.bytes, headers: { 'content-type': other.mediaType, 'docker-content-digest': undefined } };
      },
      /^::error::Registry 127\.0\.0\.1:\d+ served a manifest for 127\.0\.0\.1:\d+\/itg\/app@sha256:[a-f0-9]{64} that hashes to sha256:[a-f0-9]{64}\. The registry is serving other content than asked for/,
    ],
    [
      'a schema 1 manifest',
      ':v1',
      () => ({ body: JSON.stringify({ schemaVersion: 1 }), headers: { 'docker-content-digest': undefined } }),
      /^::error::The manifest of 127\.0\.0\.1:\d+\/itg\/app:v1 is a Docker schema 1 manifest\. Docker schema 1 manifests are deprecated/,
    ],
    [
      'invalid JSON',
      ':v1',
      () => ({ body: '{', headers: { 'docker-content-digest': undefined } }),
      /^::error::The manifest of 127\.0\.0\.1:\d+\/itg\/app:v1 is not valid JSON \(1 bytes; truncated or corrupt\)\. /,
    ],
  ];
  it.each(cases)('fails in one line, leaking nothing, on %s', async (_what, suffix, answer, error) => {
    const s = await hostile({ auth: { basic: USER } });
    const ref = suffix === '@DIGEST' ? honest.manifest.digest : 'v1';
    s.fault = (r) => (r.headers.authorization && r.path === manifestPath(ref) ? answer(s) : undefined);
    const r = await run({ image: `${s.address}/itg/app${suffix === '@DIGEST' ? `@${ref}` : suffix}` });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(error);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at |Unexpected end|Cannot read properties|terminated/);
    expect(s.log.some((l) => l.authorization?.startsWith('Basic '))).toBe(true);
    expect(s.puts()).toEqual([]);
  });

  it('refuses a layout-dir whose layer blob is a symlink to /dev/zero, at once and in one line', async () => {
    const img = await buildImage({ wasm: WASM, name: 'app' });
    const dir = join(mkdtempSync(join(tmpdir(), 'itg-hostile-layout-')), 'layout');
    writeLayout(img, dir, 'v1');
    const blob = join(dir, 'blobs', 'sha256', img.layer.digest.slice(7));
    rmSync(blob);
    symlinkSync('/dev/zero', blob);
    const started = Date.now();
    const r = await run({ 'layout-dir': dir, username: '', password: '' });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      `::error::Refusing blob ${img.layer.digest} in "${dir}": blobs/sha256/${img.layer.digest.slice(7)} is a symlink. The layout is corrupt or crafted; write it again with the image action`,
    ]);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('refuses a 3 MB gzip bomb in one line', async () => {
    const s = await hostile(
      { auth: { basic: USER } },
      composeImage({ layers: [{ bytes: gzipBomb({ fileMiB: 3072 }) }] }),
    );
    const r = await run({ image: `${s.address}/itg/app:v1` });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      expect.stringMatching(/^::error::.*(3221225472 bytes, more than the \d+ allowed|decompresses to more than)/),
    ]);
  });

  it.runIf(cert)('refuses an https registry whose token realm is plain HTTP, and the realm gets nothing', async () => {
    const realm = await hostile();
    const s = await hostile({ tls: cert!, auth: { bearer: { realm: `${realm.url}/token`, credentials: USER } } });
    const r = await run(
      { image: `${s.address}/itg/app:v1`, insecure: 'false' },
      { NODE_EXTRA_CA_CERTS: cert!.certFile },
    );
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      `::error::Refusing the token realm ${realm.url} of registry ${s.address}: the registry is https but its token service is plain HTTP, which would send the credentials unencrypted. The registry is misconfigured or an attacker is in the path; its token service must be https`,
    ]);
    expect(s.log.length).toBeGreaterThan(0);
    expect(realm.log).toEqual([]);
  });
});

describe('hostile registry over https (a child with the test certificate trusted)', () => {
  const cert = selfSignedCert();
  if (!cert) console.log('SKIP https hostile-registry cases: missing openssl');

  it.runIf(cert)('refuses a blob redirect from https to plain HTTP, and storage gets nothing', async () => {
    const storage = await hostile();
    const s = await hostile({ tls: cert!, auth: { basic: USER } });
    s.fault = (r) => (r.path === blobPath(layerDigest()) ? { redirect: `${storage.url}/storage` } : undefined);
    const r = await pullInChild(
      { image: `${s.address}/itg/app:v1`, options: { insecure: false, credentials: USER, ...FAST } },
      { NODE_EXTRA_CA_CERTS: cert!.certFile },
    );
    expect(r.steps.pull, r.output).toEqual({
      ok: false,
      name: 'UserError',
      message: `Registry ${s.address} redirected GET /blobs/${layerDigest()} from https to plain HTTP (${storage.url}): refusing the downgrade`,
      line: expect.stringContaining('storage must be https'),
    });
    expect(storage.log).toEqual([]);
  });

  it.runIf(cert)('control: the same https registry pulls when nothing is hostile', async () => {
    const s = await hostile({ tls: cert!, auth: { bearer: { credentials: USER } } });
    const r = await pullInChild(
      { image: `${s.address}/itg/app:v1`, options: { insecure: false, credentials: USER, ...FAST } },
      { NODE_EXTRA_CA_CERTS: cert!.certFile },
    );
    expect(r.steps.pull, r.output).toEqual({ ok: true });
    expect(r.digest).toBe(honest.manifest.digest);
  });
});

describe('crafted layouts with special files', () => {
  it('refuses a layout blob that is a FIFO without waiting for a writer', async () => {
    const img = await buildImage({ wasm: WASM, name: 'app' });
    const dir = join(mkdtempSync(join(tmpdir(), 'itg-fifo-layout-')), 'layout');
    writeLayout(img, dir, 'v1');
    const blob = join(dir, 'blobs', 'sha256', img.config.digest.slice(7));
    rmSync(blob);
    expect(spawnSync('mkfifo', [blob]).status).toBe(0);
    const started = Date.now();
    await expect(readLayoutImage(dir)).rejects.toThrow(
      new RegExp(`^Refusing blob ${img.config.digest} in ".*": blobs/sha256/[a-f0-9]{64} is not a regular file$`),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
