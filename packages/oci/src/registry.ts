import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { UserError } from '@wasm-build/kit';
import { extract } from 'tar-stream';
import type { Descriptor } from './layout.ts';
import {
  MEDIA_TYPE_DOCKER_LIST,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_INDEX,
  MEDIA_TYPE_MANIFEST,
  WASM_PLATFORM,
  WASM_VARIANT,
  WASM_VARIANT_ANNOTATION,
} from './media-types.ts';
import { formatImageRef, type ImageRef, isLoopbackRegistry } from './reference.ts';

export interface RegistryOptions {
  /** Plain HTTP; defaults to true for loopback registries only. */
  insecure?: boolean;
  credentials?: { username: string; password: string };
  /** Per-request timeout, ms. */
  timeoutMs?: number;
}

/**
 * A minimal OCI distribution-spec client for reading back what was pushed: manifests and blobs, with the Basic and
 * Bearer token challenges registries answer 401 with.
 * Source: OCI distribution-spec v1.1 spec.md ("Pulling manifests", "Pulling blobs"); Docker token auth
 * (distribution docs/spec/auth/token.md).
 */
export class RegistryClient {
  private token?: string;
  private readonly base: string;

  constructor(
    readonly ref: ImageRef,
    private readonly o: RegistryOptions = {},
  ) {
    const host = ref.registry === 'docker.io' ? 'registry-1.docker.io' : ref.registry;
    this.base = `${(o.insecure ?? isLoopbackRegistry(ref.registry)) ? 'http' : 'https'}://${host}/v2/${ref.repository}`;
  }

  private async request(path: string, accept?: string): Promise<Response> {
    const go = () => {
      const headers: Record<string, string> = {};
      if (accept) headers.Accept = accept;
      if (this.token) headers.Authorization = this.token;
      return fetch(`${this.base}${path}`, { headers, signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000) });
    };
    let res: Response;
    try {
      res = await go();
      if (res.status === 401 && (await this.authenticate(res.headers.get('www-authenticate')))) res = await go();
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(
        `Registry ${this.ref.registry} is unreachable (${(e as Error).cause ?? (e as Error).message})`,
        {
          fix: `Check the registry address "${this.ref.registry}" and that it is running`,
          cause: e,
        },
      );
    }
    if (res.status === 401 || res.status === 403) {
      throw new UserError(`Registry ${this.ref.registry} answered ${res.status} for ${this.ref.repository}`, {
        fix: 'Check the credentials (username/password, docker login) and that they may read this repository',
      });
    }
    return res;
  }

  private async authenticate(challenge: string | null): Promise<boolean> {
    if (!challenge || this.token) return false;
    const basic = this.o.credentials
      ? `Basic ${Buffer.from(`${this.o.credentials.username}:${this.o.credentials.password}`).toString('base64')}`
      : undefined;
    if (/^basic/i.test(challenge)) {
      this.token = basic;
      return !!basic;
    }
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!params.realm) return false;
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${this.ref.repository}:pull`);
    const res = await fetch(url, { headers: basic ? { Authorization: basic } : {} });
    if (!res.ok) return false;
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    this.token = token ? `Bearer ${token}` : undefined;
    return !!token;
  }

  /** GETs a manifest by tag or digest; returns its raw bytes, the registry's digest header and media type. */
  async manifest(
    reference: string,
  ): Promise<{ bytes: Buffer; digest: string; headerDigest?: string; mediaType: string }> {
    const accept = [MEDIA_TYPE_MANIFEST, MEDIA_TYPE_INDEX, MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_DOCKER_LIST].join(
      ', ',
    );
    const res = await this.request(`/manifests/${reference}`, accept);
    if (res.status === 404) {
      throw new UserError(`Manifest ${formatImageRef(this.ref)} (${reference}) not found in the registry`, {
        fix: 'Check the push succeeded and the reference is right',
      });
    }
    if (!res.ok) throw new UserError(`Registry ${this.ref.registry} answered ${res.status} for manifest ${reference}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    return {
      bytes,
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      headerDigest: res.headers.get('docker-content-digest') ?? undefined,
      mediaType: res.headers.get('content-type') ?? '',
    };
  }

  /** GETs a blob and checks its bytes hash to `digest`. */
  async blob(digest: string): Promise<Buffer> {
    const res = await this.request(`/blobs/${digest}`);
    if (!res.ok) throw new UserError(`Registry ${this.ref.registry} answered ${res.status} for blob ${digest}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const got = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (got !== digest) throw new UserError(`Blob ${digest} from ${this.ref.registry} hashes to ${got}`);
    return bytes;
  }

  /** Lists the repository's tags (`/tags/list`); [] when the repository does not exist. */
  async tags(): Promise<string[]> {
    const res = await this.request('/tags/list');
    if (res.status === 404) return [];
    if (!res.ok) throw new UserError(`Registry ${this.ref.registry} answered ${res.status} for the tag list`);
    return ((await res.json()) as { tags?: string[] | null }).tags ?? [];
  }
}

/** Files of a tar, by path without a leading `./` or `/`. */
export async function tarEntries(tar: Uint8Array): Promise<Map<string, { type: string; bytes: Buffer }>> {
  const out = new Map<string, { type: string; bytes: Buffer }>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.set(header.name.replace(/^\.?\//, ''), { type: header.type ?? 'file', bytes: Buffer.concat(chunks) });
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(Buffer.from(tar));
  await done;
  return out;
}

export interface ReadBackExpectation {
  /** The manifest digest we pushed. */
  digest: string;
  /** sha256 of the module and its path in the image, e.g. `/hello.wasm`. */
  wasmDigest: string;
  entrypoint: string;
}

export interface ReadBackProof {
  ref: string;
  digest: string;
  platform: string;
  annotations: Record<string, string>;
  layerDigest: string;
  /** The module's bytes as the registry serves them. */
  wasm: Buffer;
}

/**
 * Proves a push: the tag resolves to the manifest digest we computed (body hash and `Docker-Content-Digest`), the
 * config's platform is `wasi/wasm`, the manifest carries `module.wasm.image/variant=compat-smart`, and the single
 * layer holds exactly the module with the expected sha256.
 * @throws UserError naming the first check that failed, with what was expected and found.
 */
export async function readBack(
  ref: ImageRef,
  expected: ReadBackExpectation,
  o: RegistryOptions = {},
): Promise<ReadBackProof> {
  const client = new RegistryClient(ref, o);
  const name = formatImageRef(ref);
  const m = await client.manifest(ref.tag ?? expected.digest);
  const mismatch = (what: string, want: string, got: string) =>
    new UserError(`Read-back of ${name}: ${what} is ${got}, expected ${want}`, {
      fix: 'Something rewrote the image on push; push again with the skopeo or oras backend',
    });
  if (m.digest !== expected.digest) throw mismatch('the manifest digest', expected.digest, m.digest);
  if (m.headerDigest && m.headerDigest !== expected.digest)
    throw mismatch('Docker-Content-Digest', expected.digest, m.headerDigest);
  const manifest = JSON.parse(m.bytes.toString()) as {
    config: Descriptor;
    layers: Descriptor[];
    annotations?: Record<string, string>;
  };
  const annotations = manifest.annotations ?? {};
  if (annotations[WASM_VARIANT_ANNOTATION] !== WASM_VARIANT) {
    throw mismatch(`annotation ${WASM_VARIANT_ANNOTATION}`, WASM_VARIANT, String(annotations[WASM_VARIANT_ANNOTATION]));
  }
  const config = JSON.parse((await client.blob(manifest.config.digest)).toString()) as {
    os?: string;
    architecture?: string;
  };
  const platform = `${config.os}/${config.architecture}`;
  const want = `${WASM_PLATFORM.os}/${WASM_PLATFORM.architecture}`;
  if (platform !== want) throw mismatch('the platform', want, platform);
  if (manifest.layers.length !== 1) throw mismatch('the layer count', '1', String(manifest.layers.length));
  const layer = manifest.layers[0];
  const files = await tarEntries(gunzipSync(await client.blob(layer.digest)));
  const path = expected.entrypoint.replace(/^\//, '');
  const listed = [...files.keys()].join(', ');
  if (files.size !== 1 || !files.has(path)) throw mismatch('the layer content', path, listed || '(empty)');
  const wasm = files.get(path)!.bytes;
  const wasmDigest = `sha256:${createHash('sha256').update(wasm).digest('hex')}`;
  if (wasmDigest !== expected.wasmDigest) throw mismatch(`the sha256 of ${path}`, expected.wasmDigest, wasmDigest);
  return {
    ref: formatImageRef(ref, { digest: m.digest }),
    digest: m.digest,
    platform,
    annotations,
    layerDigest: layer.digest,
    wasm,
  };
}
