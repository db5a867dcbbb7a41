import { isTransientStatus, type RetryPolicy, retry, TransientError, UserError } from '@wasm-build/kit';
import LinkHeader from 'http-link-header';
import { algorithmOf, checkDigest, digestOf, isDigest } from './digest.ts';
import { type Credentials, dockerConfigCredentials } from './docker-config.ts';
import { LIMITS } from './limits.ts';
import { parseManifest } from './manifest.ts';
import {
  EMPTY_DESCRIPTOR,
  MANIFEST_ACCEPT,
  MEDIA_TYPE_INDEX,
  WASM_PLATFORM,
  WASM_VARIANT,
  WASM_VARIANT_ANNOTATION,
} from './media-types.ts';
import { type RunnableImage, readImageHead, registrySource, runnableFromHead } from './pull.ts';
import { formatImageRef, type ImageRef, isLoopbackRegistry } from './reference.ts';
import { forEachTarEntry, layerTarStream } from './tar.ts';
import { type AnswerHeaders, type HttpAnswer, httpRequest } from './transport.ts';

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
  method?: 'GET' | 'HEAD' | 'PUT' | 'POST';
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

/**
 * Aborts a request when it runs past `totalMs`, when nothing arrives for `idleMs` (reset by `touch`), or when `stop`
 * aborts.
 */
interface Deadline {
  signal: AbortSignal;
  touch(): void;
  done(): void;
  timedOut(): boolean;
}

function deadline(totalMs: number, idleMs: number, stop?: AbortSignal): Deadline {
  const ac = new AbortController();
  let fired = false;
  const fire = () => {
    fired = true;
    ac.abort(new Error('timed out'));
  };
  const stopped = () => ac.abort(new Error('stopped'));
  if (stop?.aborted) stopped();
  stop?.addEventListener('abort', stopped, { once: true });
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
      stop?.removeEventListener('abort', stopped);
    },
    timedOut: () => fired,
  };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The target of a Link header's `rel="next"` (RFC 8288 §3; unresolved, as sent), or undefined when it has none.
 * @throws UserError for a header that does not parse (its pages could not be followed)
 */
function nextLink(header: string | null, registry: string, what: string): string | undefined {
  if (header === null) return undefined;
  try {
    return LinkHeader.parse(header).rel('next')[0]?.uri;
  } catch (e) {
    throw new UserError(`Registry ${registry} sent a Link header that does not parse with ${what}`, {
      fix: 'Check the registry (RFC 8288: <url>; rel="next")',
      cause: e,
    });
  }
}

// distribution/reference reference.go: a tag.
const TAG = /^[\w][\w.-]{0,127}$/;
const UNREACHABLE_FIX = 'Check the registry address, that it is running and reachable from here, and retry later';

async function discard(res: HttpAnswer): Promise<void> {
  await res.cancel().catch(() => {});
}

function causeText(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message ?? String(e);
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
/** A manifest as the registry served it: its bytes, their digest, the Docker-Content-Digest header, the media type. */
export interface ServedManifest {
  bytes: Buffer;
  digest: string;
  headerDigest?: string;
  mediaType: string;
}

export class RegistryClient {
  private token?: string;
  private tokenScope?: string;
  private readonly base: string;
  private readonly origin: string;
  /** `/v2/REPOSITORY`: the path every request of this client is under. */
  private readonly basePath: string;
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
    this.basePath = new URL(this.base).pathname;
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
  private async send(path: string, r: Req, dl: Deadline): Promise<HttpAnswer> {
    let url = new URL(`${this.base}${path}`);
    let method = r.method ?? 'GET';
    let body = r.body;
    for (let hop = 0; ; hop++) {
      // identity: the bytes we count and hash are the bytes the registry stores, and Content-Length is their size.
      const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
      if (r.accept) headers.Accept = r.accept;
      if (r.contentType && body) headers['Content-Type'] = r.contentType;
      if (this.token && url.origin === this.origin) headers.Authorization = this.token;
      const res = await httpRequest(url, { method, headers, body, signal: dl.signal });
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
    handle: (res: HttpAnswer, dl: Deadline) => Promise<T>,
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
          const verb = r.method === 'PUT' || r.method === 'POST' ? 'push to' : 'read';
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
    res: HttpAnswer,
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
    const reader = res.body[Symbol.asyncIterator]();
    const parts: Uint8Array[] = [];
    const whole = o.expected !== undefined ? Buffer.allocUnsafe(o.expected) : undefined;
    let got = 0;
    const started = Date.now();
    try {
      for (;;) {
        const { done, value } = await reader.next();
        if (done) break;
        dl.touch();
        if (got + value.length > limit) {
          await discard(res);
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
      await discard(res);
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

  private async readJson(res: HttpAnswer, dl: Deadline, what: string, max: number): Promise<unknown> {
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
    const scope =
      params.scope ??
      `repository:${this.ref.repository}:${method === 'PUT' || method === 'POST' ? 'pull,push' : 'pull'}`;
    if (this.token && scope === this.tokenScope) return false;
    const url = checkTokenRealm(this.base, params.realm, this.ref.registry);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', scope);
    const where = `Token service ${url.origin} of registry ${this.ref.registry}`;
    const dl = deadline(this.timeoutMs, this.timeoutMs);
    try {
      const res = await httpRequest(url, {
        method: 'GET',
        headers: { 'Accept-Encoding': 'identity', ...(basic ? { Authorization: basic } : {}) },
        signal: dl.signal,
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
   * Logs in ahead of a push, and opens the connection: HEADs a blob (the empty descriptor's, whether or not the
   * registry holds it) and, when the registry challenges, fetches the login for pull and push at once (a Bearer
   * token of scope `repository:NAME:pull,push`, or Basic). The push's own requests then start with it, without a
   * round trip to the token service each. For the pipeline to call while earlier stages run. One attempt, no retry.
   * Never throws: whatever fails here (unreachable, refused login) is met again by the request that needs it, which
   * reports it. `signal` stops it (a job that ended before its push must not wait for a silent registry).
   * Source: OCI distribution-spec v1.1 spec.md "Checking if content exists"; the token flow of distribution
   * docs/spec/auth/token.md.
   */
  async prepare(signal?: AbortSignal): Promise<void> {
    const dl = deadline(this.timeoutMs, this.timeoutMs, signal);
    try {
      const res = await this.send(`/blobs/${EMPTY_DESCRIPTOR.digest}`, { method: 'HEAD' }, dl);
      await discard(res);
      if (res.status === 401) await this.authenticate(res.headers.get('www-authenticate'), 'PUT');
    } catch {
      // Met again, and reported, by the push's own requests.
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
  async manifest(reference: string, expected: { size?: number } = {}): Promise<ServedManifest> {
    // Never undefined: a 404 throws when `missingOk` is false.
    return (await this.getManifest(reference, expected, false)) as ServedManifest;
  }

  /**
   * `manifest`, but undefined when the registry answers 404 (one request where a HEAD first would take two).
   * @throws UserError as `manifest` does, apart from not found.
   */
  async manifestIfAny(reference: string, expected: { size?: number } = {}): Promise<ServedManifest | undefined> {
    return this.getManifest(reference, expected, true);
  }

  private async getManifest(
    reference: string,
    expected: { size?: number },
    missingOk: boolean,
  ): Promise<ServedManifest | undefined> {
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
        if (missingOk) return undefined;
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

  /**
   * True when the registry already holds the blob (HEAD /blobs/DIGEST answers 2xx), false otherwise; reads no body.
   * For what a push may skip uploading; the read-back uses `blobHead`, which also checks size and digest.
   * @throws UserError for an invalid digest, and what every request may throw (unreachable, timeout, 401/403).
   * Source: OCI distribution-spec v1.1 spec.md "Checking if content exists in the registry".
   */
  async blobExists(digest: string): Promise<boolean> {
    checkDigest(digest, `a blob request to ${this.name()}`);
    return this.call(`/blobs/${digest}`, { method: 'HEAD' }, async (res) => {
      await discard(res);
      return res.ok;
    });
  }

  /**
   * HEADs a blob and checks what the registry says of it without downloading it: status 200, `Content-Length`
   * equal to `size` (the descriptor's, bytes), and `Docker-Content-Digest` equal to `digest` when sent. Returns the
   * size and digest the headers gave; `size` is undefined when the answer carries no usable Content-Length (none,
   * or a non-identity Content-Encoding), which proves nothing about the size: the caller must then GET the blob.
   * Redirects (to storage) are followed as for a GET, without the login on another origin.
   * @throws UserError for an invalid digest, not found (404), another status, an invalid or mismatching
   *   Content-Length or Docker-Content-Digest (naming the registry, the blob, the value sent and the expected one),
   *   and what every request may throw (unreachable, timeout, 401/403, 429/5xx after retries).
   * Source: OCI distribution-spec v1.1 spec.md "Checking if content exists in the registry" (HEAD
   * /v2/NAME/blobs/DIGEST: 200 when present, 404 when not; `Content-Length` and `Docker-Content-Digest` headers).
   */
  async blobHead(digest: string, size: number): Promise<{ size?: number; headerDigest?: string }> {
    checkDigest(digest, `a blob request to ${this.name()}`);
    const name = this.name();
    const registry = this.ref.registry;
    const fix = 'The registry is serving other content than the image describes; push the image again';
    return this.call(`/blobs/${digest}`, { method: 'HEAD' }, async (res) => {
      await discard(res);
      if (res.status === 404) {
        throw new UserError(`Blob ${digest} of ${name} not found in the registry`, {
          fix: 'The image is incomplete in the registry; push it again',
        });
      }
      if (res.status !== 200) {
        throw new UserError(`Registry ${registry} answered ${res.status} for HEAD of blob ${digest} of ${name}`, {
          fix: 'A registry answers 200 or 404 here (distribution-spec "Checking if content exists"); check the registry',
        });
      }
      const header = res.headers.get('docker-content-digest') ?? undefined;
      if (header !== undefined) {
        if (!isDigest(header)) {
          throw new UserError(
            `Registry ${registry} sent an invalid Docker-Content-Digest ${JSON.stringify(header.slice(0, 200))} for blob ${digest} of ${name}`,
            { fix },
          );
        }
        if (header !== digest) {
          throw new UserError(
            `Registry ${registry} answered HEAD of blob ${digest} of ${name} with Docker-Content-Digest ${header}`,
            { fix },
          );
        }
      }
      const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
      const declared = encoded ? null : res.headers.get('content-length');
      if (declared === null) return { headerDigest: header };
      if (!/^\d{1,16}$/.test(declared)) {
        throw new UserError(
          `Registry ${registry} sent an invalid Content-Length ${JSON.stringify(declared.slice(0, 100))} for HEAD of blob ${digest} of ${name}`,
          { fix },
        );
      }
      const n = Number(declared);
      if (n !== size) {
        throw new UserError(
          `Registry ${registry} answered HEAD of blob ${digest} of ${name} with Content-Length ${n}, but its descriptor says ${size}`,
          { fix },
        );
      }
      return { size: n, headerDigest: header };
    });
  }

  /**
   * PUTs manifest bytes under `reference` (a tag, or a digest): how a proven image is tagged after a push by digest,
   * and how a referrer is pushed. Returns the answer's headers (`OCI-Subject`, `Docker-Content-Digest`), unchecked.
   * @throws UserError for an invalid tag, a manifest over `LIMITS.manifestBytes`, and the registry's status when it
   *   refuses.
   */
  async putManifest(reference: string, bytes: Uint8Array, mediaType: string): Promise<AnswerHeaders> {
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
    return this.call(`/manifests/${reference}`, { method: 'PUT', body: bytes, contentType: mediaType }, async (res) => {
      await discard(res);
      if (res.status !== 201 && !res.ok) {
        throw new UserError(`Registry ${this.ref.registry} answered ${res.status} when tagging ${reference}`, {
          fix: 'Check that the credentials may push to this repository',
        });
      }
      return res.headers;
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

  /**
   * Uploads `bytes` as the blob `digest` unless the registry already holds it: POST /blobs/uploads/, then one PUT of
   * the whole body to the upload URL with `?digest=` (OCI distribution-spec v1.1 "Pushing a blob monolithically").
   * The upload URL must stay on the registry's origin and under this repository (the login is sent to it).
   * Returns whether bytes were sent.
   * @throws UserError when `bytes` do not hash to `digest` or exceed `LIMITS.layerBytes`, for an upload URL elsewhere,
   *   a status other than 202/201, a `Docker-Content-Digest` other than `digest`, and what every request may throw.
   */
  async pushBlob(digest: string, bytes: Uint8Array): Promise<{ uploaded: boolean }> {
    checkDigest(digest, `a blob upload to ${this.name()}`);
    const actual = digestOf(bytes, algorithmOf(digest));
    if (actual !== digest) {
      throw new UserError(`Blob for ${this.name()} hashes to ${actual}, not ${digest}`, {
        fix: 'This is a bug in the caller: compute the digest from the bytes being pushed',
      });
    }
    if (bytes.length > LIMITS.layerBytes) {
      throw new UserError(`Blob ${digest} is ${bytes.length} bytes, more than the ${LIMITS.layerBytes} allowed`, {
        fix: 'Push a smaller blob',
      });
    }
    if (await this.blobExists(digest)) return { uploaded: false };
    const registry = this.ref.registry;
    const uploadPath = await this.call('/blobs/uploads/', { method: 'POST' }, async (res) => {
      await discard(res);
      const location = res.headers.get('location');
      if (res.status !== 202 || !location) {
        throw new UserError(
          `Registry ${registry} answered ${res.status}${location ? '' : ' without a Location'} to starting a blob upload in ${this.ref.repository}`,
          { fix: 'Check that the credentials may push to this repository' },
        );
      }
      const url = this.repositoryUrl(location, '/blobs/uploads/', 'an upload URL', 'the blob');
      url.searchParams.set('digest', digest);
      return this.pathOf(url);
    });
    const totalMs = this.timeoutMs + Math.ceil((bytes.length / LIMITS.minBlobRate) * 1000);
    await this.call(
      uploadPath,
      { method: 'PUT', body: bytes, contentType: 'application/octet-stream' },
      async (res) => {
        await discard(res);
        if (res.status !== 201 && !res.ok) {
          throw new UserError(`Registry ${registry} answered ${res.status} to the upload of blob ${digest}`, {
            fix: 'Check that the credentials may push to this repository, and retry',
          });
        }
        const header = res.headers.get('docker-content-digest');
        if (header !== null && header !== digest) {
          throw new UserError(
            `Registry ${registry} stored blob ${digest} as ${JSON.stringify(header.slice(0, 200))} (Docker-Content-Digest)`,
            { fix: 'The registry rewrote the upload; check the registry' },
          );
        }
      },
      { totalMs },
    );
    return { uploaded: true };
  }

  /**
   * GETs /referrers/DIGEST (OCI distribution-spec v1.1 "Listing Referrers"), optionally `?artifactType=`. Returns
   * undefined when the registry has no referrers API (404, or 200 with a Content-Type other than an OCI index, as
   * oras-go's `pingReferrers` reads it); else the raw index bodies of its pages, in order (unparsed). The
   * caller filters by artifactType itself, whatever `OCI-Filters-Applied` says. Pages are followed by their `Link:
   * <…>; rel="next"` (RFC 8288, as the spec's tag listing pages), each an OCI index, at most `LIMITS.referrersPages` of
   * them and `LIMITS.manifestBytes` in all, each link on this repository's referrers path.
   * @throws UserError for an invalid digest, oversized bodies, any other status or a later page that is not an index,
   *   a next link elsewhere, too many pages, and what every request may throw.
   */
  async referrers(digest: string, artifactType?: string): Promise<{ pages: Buffer[] } | undefined> {
    checkDigest(digest, `a referrers request to ${this.name()}`);
    const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    const what = `the referrers of ${this.name(digest)}`;
    const pages: Buffer[] = [];
    let left = LIMITS.manifestBytes;
    let path: string | undefined = `/referrers/${digest}${query}`;
    while (path !== undefined) {
      if (pages.length === LIMITS.referrersPages) {
        throw new UserError(
          `Registry ${this.ref.registry} served ${what} in more than ${LIMITS.referrersPages} pages`,
          {
            fix: 'The registry links its pages in a loop, or the image has far too many referrers; check the registry',
          },
        );
      }
      const from: string = path;
      const page = await this.call(from, { accept: MEDIA_TYPE_INDEX }, async (res, dl) => {
        const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
        // No referrers API: as oras-go's pingReferrers reads it. A later page must be one, though.
        if (pages.length === 0 && (res.status === 404 || (res.status === 200 && type !== MEDIA_TYPE_INDEX))) {
          await discard(res);
          return undefined;
        }
        if (res.status !== 200 || type !== MEDIA_TYPE_INDEX) {
          await discard(res);
          throw new UserError(
            `Registry ${this.ref.registry} answered ${res.status}${res.ok ? ` (${JSON.stringify(type.slice(0, 100))})` : ''} for ${what}${pages.length ? ` (page ${pages.length + 1})` : ''}`,
            { fix: 'Check the registry' },
          );
        }
        const bytes = await this.readBody(res, dl, { what, max: left });
        return { bytes, next: nextLink(res.headers.get('link'), this.ref.registry, what) };
      });
      if (!page) return undefined;
      pages.push(page.bytes);
      left -= page.bytes.length;
      path =
        page.next && this.pathOf(this.repositoryUrl(page.next, from, 'a next-page Link', 'the login', '/referrers/'));
    }
    return { pages };
  }

  /**
   * A URL the registry sent (a Location, a Link), resolved against the request's `from` (a path from `this.base`):
   * it must stay on the registry's origin and under this repository's `under`, since the login goes with it.
   * @param what the URL, for the errors: "an upload URL"
   * @param sent what would go there, for the errors: "the blob"
   * @throws UserError for an invalid URL, and for one elsewhere, with the origin and path it names
   */
  private repositoryUrl(location: string, from: string, what: string, sent: string, under = from): URL {
    let url: URL;
    try {
      url = new URL(location, `${this.base}${from}`);
    } catch (e) {
      throw new UserError(`Registry ${this.ref.registry} sent ${what.replace(/^an? /, 'an invalid ')}`, {
        fix: 'Check the registry',
        cause: e,
      });
    }
    if (url.origin !== this.origin || !url.pathname.startsWith(`${this.basePath}${under}`)) {
      throw new UserError(
        `Registry ${this.ref.registry} sent ${what} outside ${this.ref.repository} (${url.origin}${url.pathname.slice(0, 100)})`,
        { fix: `Refusing to send ${sent} and the login elsewhere; check the registry address and its proxy settings` },
      );
    }
    return url;
  }

  /** A URL under this repository as the path from `this.base` that `call` takes, its query kept. */
  private pathOf(url: URL): string {
    return `${url.pathname.slice(this.basePath.length)}${url.search}`;
  }
}

export interface ReadBackExpectation {
  /** The manifest digest we pushed. */
  digest: string;
  /** sha256 of the module and its path in the image, e.g. `/hello.wasm`. */
  wasmDigest: string;
  entrypoint: string;
  /**
   * The layer digest of the image we built, whose content we know (the module of `wasmDigest` at `entrypoint`):
   * when given, the manifest must name exactly this layer and a HEAD must answer its size and digest, and the layer
   * is not downloaded. Without it (buildx built the layer itself; `promote` knows only the module's sha256) the
   * layer is downloaded and the module in it hashed.
   */
  layerDigest?: string;
  /** The config digest of the image we built: when given, the manifest must name it. */
  configDigest?: string;
}

export interface ReadBackProof {
  ref: string;
  digest: string;
  platform: string;
  annotations: Record<string, string>;
  layerDigest: string;
  configDigest: string;
  /**
   * How the layer was proven: `head` (the manifest names the layer digest we built, and a HEAD answered its size
   * and digest) or `download` (the layer was downloaded, checked against its digest and size, and the module in it
   * hashed to `wasmDigest`).
   */
  layerProof: 'head' | 'download';
  /** The module's bytes as the registry serves them, when the layer was downloaded (`layerProof: 'download'`). */
  wasm?: Buffer;
  /** The manifest's bytes and media type as served, for tagging it without another request. */
  manifest: { bytes: Buffer; mediaType: string };
  /**
   * The image as the registry serves it, ready for the smoke test: its layer is fetched at the first call (a GET
   * checked against the layer's digest and size while streaming, as a pull does) and only then; later calls, and
   * every call after a `download` read-back, reuse it without another request.
   */
  runnable(): Promise<RunnableImage>;
}

/**
 * Proves a push from what the registry serves: the manifest, read by digest (or by `ref.tag`), hashes to the digest
 * we computed and to `Docker-Content-Digest`; its config (a capped GET, checked against its descriptor's digest and
 * size) says platform `wasi/wasm` and Entrypoint `expected.entrypoint`; the manifest carries
 * `module.wasm.image/variant=compat-smart` and a single layer. The layer is proven one of two ways:
 * - `expected.layerDigest` given (the image we built, so the layer's content is known): the manifest must name that
 *   layer (and `expected.configDigest`, when given), and a HEAD of the layer must answer 200 with a Content-Length
 *   equal to its descriptor size and its digest as Docker-Content-Digest (`blobHead`). Nothing else is
 *   downloaded: a re-push costs the manifest and config, a few KB. A HEAD with no Content-Length or no
 *   Docker-Content-Digest proves less (a registry's claim about a blob it may no longer hold), so the layer is then
 *   downloaded as below.
 * - otherwise the layer is downloaded (capped, checked against digest and size, as `runnableFromManifest` does)
 *   and must hold exactly the module, with sha256 `expected.wasmDigest`.
 * Pass a `RegistryClient` to reuse its login; `ref` with no tag reads the manifest by `expected.digest`. Checks
 * run in this order, and the first that fails throws: nothing is tagged by a caller on a failed proof.
 * @returns the proof; its `runnable()` fetches the layer only when the smoke test asks, and only once.
 * @throws UserError naming the first check that failed, with what was expected and found, and what the registry
 *   client throws (not found, wrong size or digest, oversized, unreachable, timeout, 401/403).
 * Source: OCI distribution-spec v1.1 spec.md "Pulling manifests", "Pulling blobs", "Checking if content exists in
 * the registry"; image-spec config.md (os, architecture, Entrypoint).
 */
export async function readBack(
  ref: ImageRef,
  expected: ReadBackExpectation & { layerDigest?: undefined },
  o?: RegistryOptions | RegistryClient,
): Promise<ReadBackProof & { wasm: Buffer }>;
export async function readBack(
  ref: ImageRef,
  expected: ReadBackExpectation,
  o?: RegistryOptions | RegistryClient,
): Promise<ReadBackProof>;
export async function readBack(
  ref: ImageRef,
  expected: ReadBackExpectation,
  o: RegistryOptions | RegistryClient = {},
): Promise<ReadBackProof> {
  const client = o instanceof RegistryClient ? o : new RegistryClient(ref, o);
  const name = formatImageRef(ref);
  checkDigest(expected.digest, `the read-back of ${name}`);
  if (expected.layerDigest !== undefined) checkDigest(expected.layerDigest, `the expected layer of ${name}`);
  if (expected.configDigest !== undefined) checkDigest(expected.configDigest, `the expected config of ${name}`);
  const m = await client.manifest(ref.tag ?? expected.digest);
  const mismatch = (what: string, want: string, got: string) =>
    new UserError(`Read-back of ${name}: ${what} is ${got}, expected ${want}`, {
      fix: 'Something rewrote the image on push; push again with the skopeo or oras backend',
    });
  if (m.digest !== expected.digest) throw mismatch('the manifest digest', expected.digest, m.digest);
  if (m.headerDigest && m.headerDigest !== expected.digest)
    throw mismatch('Docker-Content-Digest', expected.digest, m.headerDigest);
  const mediaType = parseManifest(m.bytes, name, m.mediaType).mediaType;
  // The same reading of manifest and config a pull does (media types, digests, sizes, limits); no layer yet.
  const source = registrySource(client);
  const head = await readImageHead(m.bytes, source, name, undefined, m.mediaType);
  const annotations = head.manifest.annotations;
  if (annotations[WASM_VARIANT_ANNOTATION] !== WASM_VARIANT) {
    throw mismatch(`annotation ${WASM_VARIANT_ANNOTATION}`, WASM_VARIANT, String(annotations[WASM_VARIANT_ANNOTATION]));
  }
  const platform = `${head.config.os}/${head.config.architecture}`;
  const want = `${WASM_PLATFORM.os}/${WASM_PLATFORM.architecture}`;
  if (platform !== want) throw mismatch('the platform', want, platform);
  const path = expected.entrypoint.replace(/^\//, '');
  const entrypoint = head.config.config?.Entrypoint ?? [];
  if (entrypoint[0]?.replace(/^\//, '') !== path)
    throw mismatch('the config Entrypoint', JSON.stringify([`/${path}`]), JSON.stringify(entrypoint));
  if (head.manifest.layers.length !== 1) throw mismatch('the layer count', '1', String(head.manifest.layers.length));
  const layer = head.manifest.layers[0];
  const config = head.manifest.config;
  if (expected.configDigest !== undefined && config.digest !== expected.configDigest)
    throw mismatch('the config digest', expected.configDigest, config.digest);
  const proof = {
    ref: formatImageRef(ref, { digest: m.digest }),
    digest: m.digest,
    platform,
    annotations,
    layerDigest: layer.digest,
    configDigest: config.digest,
    manifest: { bytes: m.bytes, mediaType },
  };
  if (expected.layerDigest !== undefined) {
    if (layer.digest !== expected.layerDigest) throw mismatch('the layer digest', expected.layerDigest, layer.digest);
    const h = await client.blobHead(layer.digest, layer.size);
    // A HEAD is the registry's claim, not the bytes: it proves the layer only with both its size and its digest
    // (Docker-Content-Digest) stated; else the layer is downloaded and hashed below.
    if (h.size !== undefined && h.headerDigest !== undefined) {
      let image: Promise<RunnableImage> | undefined;
      const runnable = () => {
        if (!image) {
          image = runnableFromHead(head, source, name);
          // A failed fetch may be asked for again, not cached as failed.
          image.catch(() => {
            image = undefined;
          });
        }
        return image;
      };
      return { ...proof, layerProof: 'head', runnable };
    }
  }
  const image = await runnableFromHead(head, source, name);
  const names: string[] = [];
  let wasm: Buffer | undefined;
  await forEachTarEntry(
    layerTarStream(image.layers[0]),
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
  return { ...proof, layerProof: 'download', wasm, runnable: async () => image };
}
