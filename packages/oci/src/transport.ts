// The registry client's HTTP requests. Node's own http/https where no proxy is configured: Node's fetch (undici)
// costs this process tens of ms to load and several ms of CPU per request, and a job makes about 30 of them. Where a
// proxy variable is set, fetch, which follows it (kit's useProxyFromEnv sets undici's dispatcher).
import type { IncomingMessage } from 'node:http';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, constants as zlib } from 'node:zlib';
import { proxyConfigured } from '@wasm-build/kit/proxy';

/** One request: never follows redirects (the client follows them itself, checking each hop). */
export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST';
  headers: Record<string, string>;
  body?: Uint8Array;
  /** Aborts the request, and the reading of its body. */
  signal: AbortSignal;
}

/** An answer's headers: one by name (any case), several values of one name joined with `, `; null when absent. */
export interface AnswerHeaders {
  get(name: string): string | null;
}

/** One answer: the status, the headers, and the body as it arrives. */
export interface HttpAnswer {
  status: number;
  /** 200–299. */
  ok: boolean;
  headers: AnswerHeaders;
  /** The body in chunks, decoded per `Content-Encoding` as fetch decodes it (gzip, x-gzip, deflate, br). */
  body: AsyncIterable<Uint8Array>;
  /** Stops reading the body; a short body is drained first, so the connection can serve the next request. */
  cancel(): Promise<void>;
}

/** A body this short (bytes, declared by Content-Length) is read to its end on `cancel`, keeping the connection. */
const DRAIN_MAX = 64 * 1024;

/**
 * Sends `r` to `url` and resolves when the answer's headers arrive. Without a proxy variable in `env`, through
 * node:http or node:https (keep-alive, the default CA store and NODE_EXTRA_CA_CERTS, as fetch uses); with one, through
 * fetch and the proxy. The body is decoded as fetch decodes it whichever way it went, so sizes are counted alike.
 * @throws Error with the socket's error as `cause` (`cause.code`: ECONNREFUSED, ENOTFOUND, ...) when the request
 *   cannot be sent or the connection fails before an answer, or the abort reason's error when `r.signal` aborts.
 * Source: Node.js docs, http.request (`signal`, `agent`: the global agent keeps connections alive since Node 19);
 * WHATWG Fetch "HTTP-network fetch" (content codings decoded, in the order applied).
 */
export async function httpRequest(url: URL, r: HttpRequest, env: NodeJS.ProcessEnv = process.env): Promise<HttpAnswer> {
  if (proxyConfigured(env)) return viaFetch(url, r);
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const headers = { ...r.headers, ...(r.body ? { 'content-length': String(r.body.length) } : {}) };
    const req = request(url, { method: r.method, headers, signal: r.signal }, (res) => resolve(answer(res, r.method)));
    req.on('error', (e) => reject(r.signal.aborted ? e : new Error(`request to ${url.origin} failed`, { cause: e })));
    req.end(r.body ? Buffer.from(r.body.buffer, r.body.byteOffset, r.body.length) : undefined);
  });
}

function answer(res: IncomingMessage, method: string): HttpAnswer {
  const status = res.statusCode ?? 0;
  const bodiless = method === 'HEAD' || status === 204 || status === 304;
  const body = bodiless ? emptyBody(res) : decoded(res);
  return {
    status,
    ok: status >= 200 && status < 300,
    // Node gives the socket back to its agent just after the body's end: the reader's loop ends after that, so the
    // request it sends next reuses the connection.
    body: (async function* () {
      yield* body;
      await released();
    })(),
    headers: {
      get: (name) => {
        const v = res.headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    },
    cancel: async () => {
      // A short plain body is read to its end, and a bodiless answer's end awaited: the socket then goes back to the
      // agent before the next request is sent, and serves it. Anything else is cut.
      if (!bodiless && !(body === res && Number(res.headers['content-length']) <= DRAIN_MAX)) {
        body.destroy();
        res.destroy();
        return;
      }
      // Even a body that has arrived whole (`complete`) must be read out before Node frees the socket.
      if (!res.readableEnded && !res.destroyed) {
        const ended = new Promise<void>((done) => {
          res.once('end', done);
          res.once('close', done);
        });
        res.resume();
        await ended;
      }
      await released();
    },
  };
}

/** One turn of the event loop: what Node does at a response's end (the socket back to its agent) has then run. */
const released = () => new Promise<void>((done) => setImmediate(done));

/** HEAD, 204 and 304 answers have no body: the response is read to its end at once (keep-alive). */
function emptyBody(res: IncomingMessage): Readable {
  res.resume();
  const empty = new PassThrough();
  empty.end();
  return empty;
}

/** The body through a decoder per content coding, last applied first; an unknown coding leaves the rest as sent. */
function decoded(res: IncomingMessage): Readable {
  const codings = (res.headers['content-encoding'] ?? '')
    .toLowerCase()
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c && c !== 'identity')
    .reverse();
  let stream: Readable = res;
  // fetch's leniency: a body cut at a flush point still yields what was decoded (undici's zlib options).
  const flush = { flush: zlib.Z_SYNC_FLUSH, finishFlush: zlib.Z_SYNC_FLUSH };
  for (const c of codings) {
    const decoder =
      c === 'gzip' || c === 'x-gzip'
        ? createGunzip(flush)
        : c === 'deflate'
          ? createInflate(flush)
          : c === 'br'
            ? createBrotliDecompress({
                flush: zlib.BROTLI_OPERATION_FLUSH,
                finishFlush: zlib.BROTLI_OPERATION_FLUSH,
              })
            : undefined;
    if (!decoder) break;
    stream = pipeline(stream, decoder, () => {});
  }
  return stream;
}

/** The same request through fetch (and so the proxy undici's dispatcher names), answered as `HttpAnswer`. */
async function viaFetch(url: URL, r: HttpRequest): Promise<HttpAnswer> {
  const res = await fetch(url, {
    method: r.method,
    headers: r.headers,
    body: r.body ? Buffer.from(r.body) : undefined,
    signal: r.signal,
    redirect: 'manual',
  });
  const stream = res.body;
  return {
    status: res.status,
    ok: res.ok,
    headers: res.headers,
    body: stream ?? (async function* () {})(),
    cancel: async () => {
      await stream?.cancel().catch(() => {});
    },
  };
}
