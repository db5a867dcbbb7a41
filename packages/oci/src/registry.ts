import { isTransientStatus, type RetryPolicy, retry, TransientError, UserError } from '@wasm-build/kit';
import { checkDigest, type DigestAlgorithm, digestOf, isDigest } from './digest.ts';
import { type Credentials, dockerConfigCredentials } from './docker-config.ts';
import { LIMITS } from './limits.ts';
import { parseManifest } from './manifest.ts';
import { MANIFEST_ACCEPT, WASM_PLATFORM, WASM_VARIANT, WASM_VARIANT_ANNOTATION } from './media-types.ts';
import { type RunnableImage, registrySource, runnableFromManifest } from './pull.ts';
import { formatImageRef, type ImageRef, isLoopbackRegistry } from './reference.ts';
import { forEachTarEntry, layerTarStream } from './tar.ts';

export interface RegistryOptions {
  /** Plain HTTP; defaults to true for loopback registries only. */
  insecure?: boolean;
  /** Login for the registry; default the docker config's entry for it (`dockerConfigCredentials`). */
  credentials?: Credentials;
  /**
   * Per-request timeout, ms: 1 to `LIMITS.maxTimeoutMs` (600000), default 30000. Bounds the wait for an answer's
   * headers, the whole of a manifest, token or JSON body, and any silence while a blob arrives; a blob's whole
   * transfer may take this plus its size at `LIMITS.minBlobRate`. The token fetch has its own timeout of this length.
   */
  timeoutMs?: number;
  /** Retries of a request the registry answers 429/5xx, cuts, times out, or whose connection fails; default 4 attempts. */
  retry?: RetryPolicy;
}

interface Req {
  method?: 'GET' | 'HEAD' | 'PUT';
  accept?: string;
  body?: Uint8Array;
  contentType?: string;
}

/** A failure worth another attempt, carrying the one-line message and fix to report when it keeps failing. */
class RequestFailure extends TransientError {
  constructor(
    message: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Aborts a request when it runs past `totalMs`, or when nothing arrives for `idleMs` (reset by `touch`). */
interface Deadline {
  signal: AbortSignal;
  touch(): void;
  done(): void;
  timedOut(): boolean;
}

function deadline(totalMs: number, idleMs: number): Deadline {
  const ac = new AbortController();
  let fired = false;
  const fire = () => {
    fired = true;
    ac.abort(new Error('timed out'));
  };
  // setTimeout overflows past 2^31-1 ms and fires at once: clamp (the limits keep us far below it anyway).
  const total = setTimeout(fire, Math.min(totalMs, 2 ** 31 - 1));
  let idle = setTimeout(fire, idleMs);
  return {
    signal: ac.signal,
    touch: () => {
      clearTimeout(idle);
      idle = setTimeout(fire, idleMs);
    },
    done: () => {
      clearTimeout(total);
      clearTimeout(idle);
    },
    timedOut: () => fired,
  };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// distribution/reference reference.go: a tag.
const TAG = /^[\w][\w.-]{0,127}$/;
const UNREACHABLE_FIX = 'Check the registry address, that it is running and reachable from here, and retry later';

async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => {});
}

function causeText(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message ?? String(e);
}

function algorithmOf(digest: string): DigestAlgorithm {
  return digest.slice(0, digest.indexOf(':')) as DigestAlgorithm;
}

/**
 * Where a registry's Bearer challenge may send us for a token, as a URL: http or https, no login in the URL, never
 * plain HTTP when the registry is https (a downgrade would expose the credentials and let anyone on the path forge
 * the token), and on another origin only over https.
 * @throws UserError naming the registry, the realm's origin and why it was refused.
 * Source: distribution docs/spec/auth/token.md (the realm is any URL the registry names).
 */
export function checkTokenRealm(registryUrl: string | URL, realm: string, registry: string): URL {
  const base = new URL(registryUrl);
  let url: URL;
  try {
    url = new URL(realm);
  } catch (e) {
    throw new UserError(
      `Registry ${registry} sent a token realm that is not a URL (${JSON.stringify(realm.slice(0, 100))})`,
      {
        fix: 'The registry is misconfigured; check its token auth settings',
        cause: e,
      },
    );
  }
  const refuse = (why: string, fix: string) =>
    new UserError(`Refusing the token realm ${url.origin} of registry ${registry}: ${why}`, { fix });
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw refuse(
      `${url.protocol} is not http or https`,
      'The registry is misconfigured; its token service must be https',
    );
  if (url.username || url.password)
    throw refuse('the URL carries a login', 'The registry is misconfigured; its realm must not hold credentials');
  if (url.protocol === 'http:' && base.protocol === 'https:') {
    throw refuse(
      'the registry is https but its token service is plain HTTP, which would send the credentials unencrypted',
      'The registry is misconfigured or an attacker is in the path; its token service must be https',
    );
  }
  if (url.protocol === 'http:' && url.origin !== base.origin) {
    throw refuse(
      `it is another origin than ${base.origin} over plain HTTP`,
      'A token service on another host must be https; a local test registry can serve tokens from its own address',
    );
  }
  return url;
}

/**
 * A minimal OCI distribution-spec client for what the push and the pull need around the push tool: blob existence
 * checks, reading back what was pushed, pulling, and tagging a proven manifest. Answers the Basic and Bearer token
 * challenges registries send with 401 (re-asking for a token when the needed scope grows from pull to push), and
 * retries 429, 5xx, timeouts, cut bodies and failed connections with backoff.
 *
 * Nothing it is sent is trusted: every reference and digest is checked (`isDigest`, the tag grammar) before it
 * becomes a URL; a manifest by digest must hash to it and to `Docker-Content-Digest`; a blob must have its
 * descriptor's size and hash to its digest; bodies are read with a cap (`LIMITS`) while streaming, never whole;
 * every request and token fetch has a timeout; the login goes to the registry's own origin only (never through a
 * redirect to storage or another host), and a token realm must pass `checkTokenRealm`.
 * Source: OCI distribution-spec v1.1 spec.md ("Pulling manifests", "Pulling blobs", "Checking if content exists",
 * "Pushing Manifests"); Docker token auth (distribution docs/spec/auth/token.md).
 */
export class RegistryClient {
  private token?: string;
  private tokenScope?: string;
  private readonly base: string;
  private readonly origin: string;
  private readonly credentials?: Credentials;
  private readonly timeoutMs: number;

  /** @throws UserError for a `timeoutMs` outside 1 to `LIMITS.maxTimeoutMs`. */
  constructor(
    readonly ref: ImageRef,
    private readonly o: RegistryOptions = {},
  ) {
    const host = ref.registry === 'docker.io' ? 'registry-1.docker.io' : ref.registry;
    const scheme = (o.insecure ?? isLoopbackRegistry(ref.registry)) ? 'http' : 'https';
    this.base = `${scheme}://${host}/v2/${ref.repository}`;
    this.origin = new URL(this.base).origin;
    this.credentials = o.credentials ?? dockerConfigCredentials(ref.registry);
    const t = o.timeoutMs ?? LIMITS.timeoutMs;
    if (!Number.isInteger(t) || t < 1 || t > LIMITS.maxTimeoutMs) {
      throw new UserError(`Invalid registry timeout ${t} ms`, {
        fix: `Give a whole number of milliseconds from 1 to ${LIMITS.maxTimeoutMs}`,
      });
    }
    this.timeoutMs = t;
  }

  private name(reference?: string): string {
    const base = `${this.ref.registry}/${this.ref.repository}`;
    if (!reference) return base;
    return isDigest(reference) ? `${base}@${reference}` : `${base}:${reference}`;
  }

  /** One request, following up to `LIMITS.redirects` redirects; the login goes to the registry's origin only. */
  private async send(path: string, r: Req, dl: Deadline): Promise<Response> {
    let url = new URL(`${this.base}${path}`);
    let method = r.method ?? 'GET';
    let body = r.body;
    for (let hop = 0; ; hop++) {
      // identity: the bytes we count and hash are the bytes the registry stores, and Content-Length is their size.
      const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
      if (r.accept) headers.Accept = r.accept;
      if (r.contentType && body) headers['Content-Type'] = r.contentType;
      if (this.token && url.origin === this.origin) headers.Authorization = this.token;
      const res = await fetch(url, {
        method,
        headers,
        body: body ? Buffer.from(body) : undefined,
        signal: dl.signal,
        redirect: 'manual',
      });
      if (!REDIRECTS.has(res.status)) return res;
      const location = res.headers.get('location');
      await discard(res);
      if (!location) return res;
      const what = `${r.method ?? 'GET'} ${path}`;
      if (hop >= LIMITS.redirects) {
        throw new UserError(`Registry ${this.ref.registry} redirected ${what} more than ${LIMITS.redirects} times`, {
          fix: 'The registry is misconfigured (a redirect loop); check its storage settings',
        });
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch (e) {
        throw new UserError(`Registry ${this.ref.registry} redirected ${what} to an invalid URL`, {
          fix: 'The registry is misconfigured; check its storage settings',
          cause: e,
        });
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new UserError(`Registry ${this.ref.registry} redirected ${what} to a ${next.protocol} URL`, {
          fix: 'Only http and https redirects are followed; check the registry',
        });
      }
      if (url.protocol === 'https:' && next.protocol === 'http:') {
        throw new UserError(
          `Registry ${this.ref.registry} redirected ${what} from https to plain HTTP (${next.origin}): refusing the downgrade`,
          { fix: 'The registry or its storage is misconfigured, or an attacker is in the path; storage must be https' },
        );
      }
      if (res.status === 303) {
        method = method === 'HEAD' ? 'HEAD' : 'GET';
        body = undefined;
      }
      url = next;
    }
  }

  /**
   * Runs one request with auth, timeouts and retries, handing the answer to `handle` (which reads the body inside
   * the attempt, so a cut body is retried too).
   */
  private async call<T>(
    path: string,
    r: Req,
    handle: (res: Response, dl: Deadline) => Promise<T>,
    o: { totalMs?: number } = {},
  ): Promise<T> {
    const what = `${r.method ?? 'GET'} ${path}`;
    const registry = this.ref.registry;
    const attempt = async (): Promise<T> => {
      const dl = deadline(o.totalMs ?? this.timeoutMs, this.timeoutMs);
      try {
        const sentWith = this.token;
        let res = await this.send(path, r, dl);
        if (res.status === 401) {
          const challenge = res.headers.get('www-authenticate');
          await discard(res);
          // A concurrent request may have logged in meanwhile: then send again with its token before asking anew.
          if (this.token !== sentWith || (await this.authenticate(challenge, r.method)))
            res = await this.send(path, r, dl);
        }
        if (isTransientStatus(res.status)) {
          await discard(res);
          throw new RequestFailure(
            `Registry ${registry} kept failing for ${what} (HTTP ${res.status})`,
            'The registry is overloaded or down; retry later',
          );
        }
        if (res.status === 401 || res.status === 403) {
          await discard(res);
          const verb = r.method === 'PUT' ? 'push to' : 'read';
          const why =
            res.status === 401
              ? `refused the credentials (401)${this.credentials ? '' : '; none were given'}`
              : 'denied access (403)';
          throw new UserError(`Registry ${registry} ${why} for ${this.ref.repository}`, {
            fix: `Check the credentials (username/password inputs or docker login for ${registry}) and that they may ${verb} this repository`,
          });
        }
        return await handle(res, dl);
      } catch (e) {
        if (e instanceof UserError || e instanceof RequestFailure) throw e;
        if (dl.timedOut()) {
          throw new RequestFailure(
            `Registry ${registry} did not answer ${what} within ${this.timeoutMs} ms`,
            UNREACHABLE_FIX,
            { cause: e },
          );
        }
        throw new RequestFailure(`Registry ${registry} is unreachable (${causeText(e)})`, UNREACHABLE_FIX, {
          cause: e,
        });
      } finally {
        dl.done();
      }
    };
    try {
      return (await retry(attempt, this.o.retry)).value;
    } catch (e) {
      if (!(e instanceof RequestFailure)) throw e;
      const n = this.o.retry?.attempts ?? 4;
      throw new UserError(`${e.message}${n > 1 ? ` (${n} attempts)` : ''}`, { fix: e.fix, cause: e });
    }
  }

  /**
   * Reads a body of at most `max` bytes, exactly `expected` when given: refused at once when Content-Length says
   * otherwise, and while streaming as soon as more arrives. A body cut short or too slow is a retryable failure.
   */
  private async readBody(
    res: Response,
    dl: Deadline,
    o: { what: string; max: number; expected?: number },
  ): Promise<Buffer> {
    const registry = this.ref.registry;
    // A body sent compressed anyway is counted as it is decoded; its Content-Length is then the encoded size.
    const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
    const declared = encoded ? null : res.headers.get('content-length');
    const fix = 'The registry is serving other content than the image describes; push the image again';
    if (declared !== null) {
      const n = Number(declared);
      if (o.expected !== undefined && n !== o.expected) {
        await discard(res);
        throw new UserError(
          `Registry ${registry} sent ${declared} bytes (Content-Length) for ${o.what}, whose descriptor says ${o.expected}`,
          { fix },
        );
      }
      if (n > o.max) {
        await discard(res);
        throw new UserError(
          `Registry ${registry} sent ${declared} bytes for ${o.what}, more than the ${o.max} allowed`,
          {
            fix: 'Check the reference; what it names is not a wasm image',
          },
        );
      }
    }
    const limit = o.expected ?? o.max;
    const reader = res.body?.getReader();
    if (!reader) return Buffer.alloc(0);
    const parts: Uint8Array[] = [];
    const whole = o.expected !== undefined ? Buffer.allocUnsafe(o.expected) : undefined;
    let got = 0;
    const started = Date.now();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        dl.touch();
        if (got + value.length > limit) {
          await reader.cancel().catch(() => {});
          throw new UserError(
            `Registry ${registry} sent more than ${limit} bytes for ${o.what}${o.expected !== undefined ? ', its descriptor size' : ', the most allowed'}`,
            { fix: o.expected !== undefined ? fix : 'Check the reference; what it names is not a wasm image' },
          );
        }
        if (whole) whole.set(value, got);
        else parts.push(value);
        got += value.length;
      }
    } catch (e) {
      if (e instanceof UserError) throw e;
      await reader.cancel().catch(() => {});
      if (dl.timedOut()) {
        throw new RequestFailure(
          `Registry ${registry} was too slow sending ${o.what} (${got} bytes in ${Date.now() - started} ms)`,
          'The registry or the network is overloaded; retry later',
          { cause: e },
        );
      }
      throw new RequestFailure(
        `Registry ${registry} cut ${o.what} mid-transfer after ${got}${declared !== null ? ` of ${declared}` : ''} bytes`,
        'The connection to the registry broke; retry later',
        { cause: e },
      );
    }
    if (o.expected !== undefined && got !== o.expected) {
      throw new UserError(`Registry ${registry} sent ${got} bytes for ${o.what}, whose descriptor says ${o.expected}`, {
        fix,
      });
    }
    return whole ?? Buffer.concat(parts, got);
  }

  private async readJson(res: Response, dl: Deadline, what: string, max: number): Promise<unknown> {
    const bytes = await this.readBody(res, dl, { what, max });
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      throw new UserError(`Registry ${this.ref.registry} sent ${what} that is not valid JSON`, {
        fix: 'The registry is misconfigured or not a registry; check its address',
        cause: e,
      });
    }
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
    const url = checkTokenRealm(this.base, params.realm, this.ref.registry);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', scope);
    const where = `Token service ${url.origin} of registry ${this.ref.registry}`;
    const dl = deadline(this.timeoutMs, this.timeoutMs);
    try {
      const res = await fetch(url, {
        headers: { 'Accept-Encoding': 'identity', ...(basic ? { Authorization: basic } : {}) },
        signal: dl.signal,
        redirect: 'manual',
      });
      if (REDIRECTS.has(res.status)) {
        await discard(res);
        throw new UserError(`${where} redirected the token request: refusing to send credentials on`, {
          fix: 'Point the registry at its token service directly (the realm of its Bearer challenge)',
        });
      }
      if (isTransientStatus(res.status)) {
        await discard(res);
        throw new RequestFailure(
          `${where} kept failing (HTTP ${res.status})`,
          'The token service is down; retry later',
        );
      }
      if (!res.ok) {
        await discard(res);
        return false;
      }
      const body = (await this.readJson(res, dl, `the token from ${url.origin}`, LIMITS.tokenBytes)) as {
        token?: unknown;
        access_token?: unknown;
      } | null;
      const token = body?.token ?? body?.access_token;
      if (token === undefined || token === '') return false;
      // RFC 6750 b64token characters, and what a header can carry: no spaces, controls or line breaks.
      if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token)) {
        throw new UserError(`${where} answered a token that cannot be sent in a header`, {
          fix: 'The token service is misconfigured; check it',
        });
      }
      this.token = `Bearer ${token}`;
      this.tokenScope = scope;
      return true;
    } catch (e) {
      if (e instanceof UserError || e instanceof RequestFailure) throw e;
      if (dl.timedOut())
        throw new RequestFailure(`${where} did not answer within ${this.timeoutMs} ms`, UNREACHABLE_FIX, { cause: e });
      throw new RequestFailure(`${where} is unreachable (${causeText(e)})`, UNREACHABLE_FIX, { cause: e });
    } finally {
      dl.done();
    }
  }

  /**
   * GETs a manifest by tag or digest; returns its raw bytes, their digest, the registry's digest header and the
   * served media type. The body is at most `LIMITS.manifestBytes`, exactly `expected.size` when given; by digest it
   * must hash to that digest; `Docker-Content-Digest`, when sent, must match the bytes.
   * @throws UserError for an invalid reference, not found, an oversized, cut or mismatching manifest (naming the
   *   registry and the reference), and what every request may throw (unreachable, timeout, 401/403).
   */
  async manifest(
    reference: string,
    expected: { size?: number } = {},
  ): Promise<{ bytes: Buffer; digest: string; headerDigest?: string; mediaType: string }> {
    const byDigest = isDigest(reference);
    if (!byDigest && !TAG.test(reference)) {
      throw new UserError(`Invalid tag or digest ${JSON.stringify(reference.slice(0, 200))} for ${this.name()}`, {
        fix: 'A tag is letters, digits, _ . - (at most 128); a digest is sha256:<64 hex>',
      });
    }
    const name = this.name(reference);
    if (expected.size !== undefined && expected.size > LIMITS.manifestBytes) {
      throw new UserError(
        `The manifest ${name} is ${expected.size} bytes, more than the ${LIMITS.manifestBytes} allowed`,
        {
          fix: 'Check the reference; what it names is not a wasm image',
        },
      );
    }
    const registry = this.ref.registry;
    return this.call(`/manifests/${reference}`, { accept: MANIFEST_ACCEPT }, async (res, dl) => {
      if (res.status === 404) {
        await discard(res);
        throw new UserError(`Manifest ${name} not found in the registry`, {
          fix: 'Check the push succeeded and the reference is right',
        });
      }
      if (!res.ok) {
        await discard(res);
        throw new UserError(`Registry ${registry} answered ${res.status} for manifest ${name}`, {
          fix: 'Check the reference and the registry',
        });
      }
      const bytes = await this.readBody(res, dl, {
        what: `the manifest of ${name}`,
        max: LIMITS.manifestBytes,
        expected: expected.size,
      });
      const digest = digestOf(bytes, byDigest ? algorithmOf(reference) : 'sha256');
      const fix = 'The registry is serving other content than asked for; do not use this image, and check the registry';
      if (byDigest && digest !== reference)
        throw new UserError(`Registry ${registry} served a manifest for ${name} that hashes to ${digest}`, { fix });
      const header = res.headers.get('docker-content-digest') ?? undefined;
      if (header !== undefined) {
        if (!isDigest(header)) {
          throw new UserError(
            `Registry ${registry} sent an invalid Docker-Content-Digest ${JSON.stringify(header.slice(0, 200))} for ${name}`,
            { fix },
          );
        }
        const actual = algorithmOf(header) === algorithmOf(digest) ? digest : digestOf(bytes, algorithmOf(header));
        if (actual !== header) {
          throw new UserError(
            `Registry ${registry} sent Docker-Content-Digest ${header} for ${name}, but the manifest hashes to ${actual}`,
            { fix },
          );
        }
      }
      return { bytes, digest, headerDigest: header, mediaType: res.headers.get('content-type') ?? '' };
    });
  }

  /**
   * GETs a blob and checks it: exactly `size` bytes when given (else at most `LIMITS.layerBytes`), refused as soon as
   * Content-Length or the stream says otherwise, and hashing to `digest`.
   * @throws UserError for an invalid digest, not found, a wrong size or hash, and what every request may throw.
   */
  async blob(digest: string, size?: number): Promise<Buffer> {
    checkDigest(digest, `a blob request to ${this.name()}`);
    const name = this.name();
    if (size !== undefined && size > LIMITS.layerBytes) {
      throw new UserError(`Blob ${digest} of ${name} is ${size} bytes, more than the ${LIMITS.layerBytes} allowed`, {
        fix: 'Check the reference; what it names is not a wasm image',
      });
    }
    const max = size ?? LIMITS.layerBytes;
    const totalMs = this.timeoutMs + Math.ceil((max / LIMITS.minBlobRate) * 1000);
    return this.call(
      `/blobs/${digest}`,
      {},
      async (res, dl) => {
        if (res.status === 404) {
          await discard(res);
          throw new UserError(`Blob ${digest} of ${name} not found in the registry`, {
            fix: 'The image is incomplete in the registry; push it again',
          });
        }
        if (!res.ok) {
          await discard(res);
          throw new UserError(`Registry ${this.ref.registry} answered ${res.status} for blob ${digest}`, {
            fix: 'Check the registry',
          });
        }
        const bytes = await this.readBody(res, dl, { what: `blob ${digest} of ${name}`, max, expected: size });
        const got = digestOf(bytes, algorithmOf(digest));
        if (got !== digest) {
          throw new UserError(`Blob ${digest} from ${this.ref.registry} hashes to ${got}`, {
            fix: 'The registry is serving other content than asked for; do not use this image, and check the registry',
          });
        }
        return bytes;
      },
      { totalMs },
    );
  }

  /** True when the registry already holds the blob (HEAD /blobs/DIGEST answers 200). @throws UserError for an invalid digest. */
  async blobExists(digest: string): Promise<boolean> {
    checkDigest(digest, `a blob request to ${this.name()}`);
    return this.call(`/blobs/${digest}`, { method: 'HEAD' }, async (res) => {
      await discard(res);
      return res.ok;
    });
  }

  /**
   * PUTs manifest bytes under `reference` (a tag): how a proven image is tagged after a push by digest.
   * @throws UserError for an invalid tag, a manifest over `LIMITS.manifestBytes`, and the registry's status when it
   *   refuses.
   */
  async putManifest(reference: string, bytes: Uint8Array, mediaType: string): Promise<void> {
    if (!isDigest(reference) && !TAG.test(reference)) {
      throw new UserError(`Invalid tag ${JSON.stringify(reference.slice(0, 200))} for ${this.name()}`, {
        fix: 'A tag is letters, digits, _ . - (at most 128), not starting with . or -',
      });
    }
    if (bytes.length > LIMITS.manifestBytes) {
      throw new UserError(
        `The manifest for ${this.name(reference)} is ${bytes.length} bytes, more than the ${LIMITS.manifestBytes} a registry accepts`,
        {
          fix: 'Push a smaller manifest',
        },
      );
    }
    await this.call(`/manifests/${reference}`, { method: 'PUT', body: bytes, contentType: mediaType }, async (res) => {
      await discard(res);
      if (res.status !== 201 && !res.ok) {
        throw new UserError(`Registry ${this.ref.registry} answered ${res.status} when tagging ${reference}`, {
          fix: 'Check that the credentials may push to this repository',
        });
      }
    });
  }

  /** Lists the repository's tags (`/tags/list`, at most `LIMITS.tagListBytes`); [] when the repository does not exist. */
  async tags(): Promise<string[]> {
    return this.call('/tags/list', {}, async (res, dl) => {
      if (res.status === 404) {
        await discard(res);
        return [];
      }
      if (!res.ok) {
        await discard(res);
        throw new UserError(`Registry ${this.ref.registry} answered ${res.status} for the tag list`, {
          fix: 'Check the registry',
        });
      }
      const body = (await this.readJson(res, dl, 'the tag list', LIMITS.tagListBytes)) as { tags?: unknown } | null;
      const tags = body?.tags ?? [];
      if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
        throw new UserError(`Registry ${this.ref.registry} sent a tag list that is not a list of strings`, {
          fix: 'The registry is misconfigured or not a registry; check its address',
        });
      }
      return tags as string[];
    });
  }
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
 * layer holds exactly the module with the expected sha256. Reads the manifest, config and layer as a pull does
 * (`runnableFromManifest`: media types, digests, sizes and limits all checked) and the layer as a capped stream.
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
  checkDigest(expected.digest, `the read-back of ${name}`);
  const m = await client.manifest(ref.tag ?? expected.digest);
  const mismatch = (what: string, want: string, got: string) =>
    new UserError(`Read-back of ${name}: ${what} is ${got}, expected ${want}`, {
      fix: 'Something rewrote the image on push; push again with the skopeo or oras backend',
    });
  if (m.digest !== expected.digest) throw mismatch('the manifest digest', expected.digest, m.digest);
  if (m.headerDigest && m.headerDigest !== expected.digest)
    throw mismatch('Docker-Content-Digest', expected.digest, m.headerDigest);
  const mediaType = parseManifest(m.bytes, name, m.mediaType).mediaType;
  // The same reading of manifest, config and layers a pull does; the proof carries it, so the smoke test runs
  // exactly what was proven without fetching the blobs again.
  const image = await runnableFromManifest(m.bytes, registrySource(client), name, undefined, m.mediaType);
  const annotations = image.annotations;
  if (annotations[WASM_VARIANT_ANNOTATION] !== WASM_VARIANT) {
    throw mismatch(`annotation ${WASM_VARIANT_ANNOTATION}`, WASM_VARIANT, String(annotations[WASM_VARIANT_ANNOTATION]));
  }
  const want = `${WASM_PLATFORM.os}/${WASM_PLATFORM.architecture}`;
  if (image.platform !== want) throw mismatch('the platform', want, image.platform);
  if (image.layers.length !== 1) throw mismatch('the layer count', '1', String(image.layers.length));
  const layer = image.layers[0];
  const path = expected.entrypoint.replace(/^\//, '');
  const names: string[] = [];
  let wasm: Buffer | undefined;
  await forEachTarEntry(
    layerTarStream(layer),
    async (e, read) => {
      const clean = e.name.replace(/^\.?\//, '');
      names.push(clean);
      if (names.length > 1) throw mismatch('the layer content', path, `${names.join(', ')}, …`);
      if (clean === path && e.type === 'file') wasm = await read();
    },
    { what: `Layer ${layer.digest} of ${name}` },
  );
  if (!wasm) throw mismatch('the layer content', path, names.join(', ') || '(empty)');
  const wasmDigest = digestOf(wasm);
  if (wasmDigest !== expected.wasmDigest) throw mismatch(`the sha256 of ${path}`, expected.wasmDigest, wasmDigest);
  return {
    ref: formatImageRef(ref, { digest: m.digest }),
    digest: m.digest,
    platform: image.platform,
    annotations,
    layerDigest: layer.digest,
    wasm,
    manifest: { bytes: m.bytes, mediaType },
    image,
  };
}
