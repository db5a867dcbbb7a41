import { createHash } from 'node:crypto';
import { isTransientStatus, type RetryPolicy, retry, TransientError, UserError } from '@wasm-build/kit';
import { type Credentials, dockerConfigCredentials } from './docker-config.ts';
import {
  MEDIA_TYPE_DOCKER_LIST,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_INDEX,
  MEDIA_TYPE_MANIFEST,
  WASM_PLATFORM,
  WASM_VARIANT,
  WASM_VARIANT_ANNOTATION,
} from './media-types.ts';
import { type RunnableImage, runnableFromManifest } from './pull.ts';
import { formatImageRef, type ImageRef, isLoopbackRegistry } from './reference.ts';
import { layerTar, tarEntries } from './tar.ts';

export interface RegistryOptions {
  /** Plain HTTP; defaults to true for loopback registries only. */
  insecure?: boolean;
  /** Login for the registry; default the docker config's entry for it (`dockerConfigCredentials`). */
  credentials?: Credentials;
  /** Per-request timeout, ms. */
  timeoutMs?: number;
  /** Retries of a request the registry answers 429/5xx or whose connection fails; default 4 attempts. */
  retry?: RetryPolicy;
}

interface RequestInit2 {
  method?: 'GET' | 'HEAD' | 'PUT';
  accept?: string;
  body?: Uint8Array;
  contentType?: string;
}

/**
 * A minimal OCI distribution-spec client for what the push needs around the push tool: blob existence checks, reading
 * back what was pushed, and tagging a proven manifest. Answers the Basic and Bearer token challenges registries
 * send with 401 (re-asking for a token when the needed scope grows from pull to push), and retries 429, 5xx and
 * failed connections with backoff.
 * Source: OCI distribution-spec v1.1 spec.md ("Pulling manifests", "Pulling blobs", "Checking if content exists",
 * "Pushing Manifests"); Docker token auth (distribution docs/spec/auth/token.md).
 */
export class RegistryClient {
  private token?: string;
  private tokenScope?: string;
  private readonly base: string;
  private readonly credentials?: Credentials;

  constructor(
    readonly ref: ImageRef,
    private readonly o: RegistryOptions = {},
  ) {
    const host = ref.registry === 'docker.io' ? 'registry-1.docker.io' : ref.registry;
    this.base = `${(o.insecure ?? isLoopbackRegistry(ref.registry)) ? 'http' : 'https'}://${host}/v2/${ref.repository}`;
    this.credentials = o.credentials ?? dockerConfigCredentials(ref.registry);
  }

  private send(path: string, r: RequestInit2): Promise<Response> {
    const headers: Record<string, string> = {};
    if (r.accept) headers.Accept = r.accept;
    if (r.contentType) headers['Content-Type'] = r.contentType;
    if (this.token) headers.Authorization = this.token;
    return fetch(`${this.base}${path}`, {
      method: r.method ?? 'GET',
      headers,
      body: r.body ? Buffer.from(r.body) : undefined,
      signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
    });
  }

  private async request(path: string, r: RequestInit2 = {}): Promise<Response> {
    const attempt = async () => {
      let res: Response;
      try {
        const sentWith = this.token;
        res = await this.send(path, r);
        // A concurrent request may have logged in meanwhile: then send again with its token before asking anew.
        if (
          res.status === 401 &&
          (this.token !== sentWith || (await this.authenticate(res.headers.get('www-authenticate'), r.method)))
        )
          res = await this.send(path, r);
      } catch (e) {
        if (e instanceof UserError) throw e;
        throw new TransientError(`${(e as Error).cause ?? (e as Error).message}`, { cause: e });
      }
      if (isTransientStatus(res.status)) throw new TransientError(`HTTP ${res.status}`);
      return res;
    };
    let res: Response;
    try {
      res = (await retry(attempt, this.o.retry)).value;
    } catch (e) {
      if (!(e instanceof TransientError)) throw e;
      const what = e.message.startsWith('HTTP ') ? `kept failing for ${r.method ?? 'GET'} ${path}` : 'is unreachable';
      throw new UserError(`Registry ${this.ref.registry} ${what} (${e.message})`, {
        fix: `Check the registry address "${this.ref.registry}", that it is running, and retry later`,
        cause: e,
      });
    }
    if (res.status === 401 || res.status === 403) {
      const what = r.method === 'PUT' ? 'push to' : 'read';
      const why = res.status === 401 ? 'refused the credentials (401)' : 'denied access (403)';
      throw new UserError(`Registry ${this.ref.registry} ${why} for ${this.ref.repository}`, {
        fix: `Check the credentials (username/password inputs or docker login for ${this.ref.registry}) and that they may ${what} this repository`,
      });
    }
    return res;
  }

  private async authenticate(challenge: string | null, method?: string): Promise<boolean> {
    if (!challenge) return false;
    const basic = this.credentials
      ? `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`
      : undefined;
    if (/^basic/i.test(challenge)) {
      if (this.token === basic) return false;
      this.token = basic;
      return !!basic;
    }
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!params.realm) return false;
    const scope = params.scope ?? `repository:${this.ref.repository}:${method === 'PUT' ? 'pull,push' : 'pull'}`;
    if (this.token && scope === this.tokenScope) return false;
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', scope);
    const res = await fetch(url, { headers: basic ? { Authorization: basic } : {} });
    if (!res.ok) return false;
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    this.token = token ? `Bearer ${token}` : undefined;
    this.tokenScope = scope;
    return !!token;
  }

  /** GETs a manifest by tag or digest; returns its raw bytes, the registry's digest header and media type. */
  async manifest(
    reference: string,
  ): Promise<{ bytes: Buffer; digest: string; headerDigest?: string; mediaType: string }> {
    const accept = [MEDIA_TYPE_MANIFEST, MEDIA_TYPE_INDEX, MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_DOCKER_LIST].join(
      ', ',
    );
    const res = await this.request(`/manifests/${reference}`, { accept });
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

  /** True when the registry already holds the blob (HEAD /blobs/DIGEST answers 200). */
  async blobExists(digest: string): Promise<boolean> {
    const res = await this.request(`/blobs/${digest}`, { method: 'HEAD' });
    return res.ok;
  }

  /**
   * PUTs manifest bytes under `reference` (a tag): how a proven image is tagged after a push by digest.
   * @throws UserError with the registry's status when it refuses.
   */
  async putManifest(reference: string, bytes: Uint8Array, mediaType: string): Promise<void> {
    const res = await this.request(`/manifests/${reference}`, { method: 'PUT', body: bytes, contentType: mediaType });
    if (res.status !== 201 && !res.ok) {
      throw new UserError(`Registry ${this.ref.registry} answered ${res.status} when tagging ${reference}`, {
        fix: 'Check that the credentials may push to this repository',
      });
    }
  }

  /** Lists the repository's tags (`/tags/list`); [] when the repository does not exist. */
  async tags(): Promise<string[]> {
    const res = await this.request('/tags/list');
    if (res.status === 404) return [];
    if (!res.ok) throw new UserError(`Registry ${this.ref.registry} answered ${res.status} for the tag list`);
    return ((await res.json()) as { tags?: string[] | null }).tags ?? [];
  }
}

/** The media type to PUT a manifest with: the served Content-Type, else the `mediaType` field in its JSON. */
function manifestMediaType(served: string, bytes: Buffer): string {
  if (served && !served.startsWith('application/json') && !served.startsWith('text/')) return served.split(';')[0];
  return (JSON.parse(bytes.toString()) as { mediaType?: string }).mediaType ?? MEDIA_TYPE_MANIFEST;
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
  /** The manifest's bytes and media type as served, for tagging it without another request. */
  manifest: { bytes: Buffer; mediaType: string };
  /** The image as read back (process, annotations, layer blobs), ready for the smoke test. */
  image: RunnableImage;
}

/**
 * Proves a push: the tag resolves to the manifest digest we computed (body hash and `Docker-Content-Digest`), the
 * config's platform is `wasi/wasm`, the manifest carries `module.wasm.image/variant=compat-smart`, and the single
 * layer holds exactly the module with the expected sha256.
 * Pass a `RegistryClient` to reuse its login; `ref` with no tag reads the manifest by `expected.digest`.
 * @throws UserError naming the first check that failed, with what was expected and found.
 */
export async function readBack(
  ref: ImageRef,
  expected: ReadBackExpectation,
  o: RegistryOptions | RegistryClient = {},
): Promise<ReadBackProof> {
  const client = o instanceof RegistryClient ? o : new RegistryClient(ref, o);
  const name = formatImageRef(ref);
  const m = await client.manifest(ref.tag ?? expected.digest);
  const mismatch = (what: string, want: string, got: string) =>
    new UserError(`Read-back of ${name}: ${what} is ${got}, expected ${want}`, {
      fix: 'Something rewrote the image on push; push again with the skopeo or oras backend',
    });
  if (m.digest !== expected.digest) throw mismatch('the manifest digest', expected.digest, m.digest);
  if (m.headerDigest && m.headerDigest !== expected.digest)
    throw mismatch('Docker-Content-Digest', expected.digest, m.headerDigest);
  // The same reading of manifest, config and layers a pull does; the proof carries it, so the smoke test runs
  // exactly what was proven without fetching the blobs again.
  const image = await runnableFromManifest(m.bytes, (d) => client.blob(d), name);
  const annotations = image.annotations;
  if (annotations[WASM_VARIANT_ANNOTATION] !== WASM_VARIANT) {
    throw mismatch(`annotation ${WASM_VARIANT_ANNOTATION}`, WASM_VARIANT, String(annotations[WASM_VARIANT_ANNOTATION]));
  }
  const want = `${WASM_PLATFORM.os}/${WASM_PLATFORM.architecture}`;
  if (image.platform !== want) throw mismatch('the platform', want, image.platform);
  if (image.layers.length !== 1) throw mismatch('the layer count', '1', String(image.layers.length));
  const layer = image.layers[0];
  const files = await tarEntries(layerTar(layer));
  const path = expected.entrypoint.replace(/^\//, '');
  const listed = [...files.keys()].join(', ');
  if (files.size !== 1 || !files.has(path)) throw mismatch('the layer content', path, listed || '(empty)');
  const wasm = files.get(path)!.bytes;
  const wasmDigest = `sha256:${createHash('sha256').update(wasm).digest('hex')}`;
  if (wasmDigest !== expected.wasmDigest) throw mismatch(`the sha256 of ${path}`, expected.wasmDigest, wasmDigest);
  return {
    ref: formatImageRef(ref, { digest: m.digest }),
    digest: m.digest,
    platform: image.platform,
    annotations,
    layerDigest: layer.digest,
    wasm,
    manifest: { bytes: m.bytes, mediaType: manifestMediaType(m.mediaType, m.bytes) },
    image,
  };
}
