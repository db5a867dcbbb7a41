// A loopback registry that lies: by configuration it serves wrong digests and sizes, oversized, slow and cut bodies,
// redirects, token realms on other origins and schemes, indexes, schema 1 and invalid JSON, and records every
// request. Also builders for crafted images (gzip bombs, indexes) and a self-signed certificate for https cases.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BuiltImage, Credentials } from '@wasm-build/oci';

export interface HostileRequest {
  method: string;
  /** Path without the query, e.g. `/v2/itg/app/manifests/v1`. */
  path: string;
  /** Path with the query. */
  url: string;
  headers: IncomingHttpHeaders;
  /** 1-based number of this request among those with the same method and path. */
  n: number;
}

/** How to answer one request instead of honestly. */
export interface Answer {
  status?: number;
  /** Extra headers; `undefined` removes one the honest answer would send. */
  headers?: Record<string, string | undefined>;
  body?: Buffer | string;
  /** Stream this many filler bytes as the body, without ever holding them (oversized bodies). */
  fill?: number;
  /** The Content-Length to declare instead of the true one; null sends none (chunked). */
  contentLength?: number | null;
  /** Destroy the connection after this many body bytes (a body cut mid-transfer). */
  cutAfter?: number;
  /** Send the body `chunk` bytes at a time, `delayMs` apart (a slow body). */
  slow?: { chunk: number; delayMs: number };
  /** Accept the request and never answer. */
  hang?: boolean;
  /** Answer 307 (or `status`) to this URL. */
  redirect?: string;
}

/** One request as the server saw it. */
export interface LoggedRequest {
  method: string;
  url: string;
  authorization?: string;
  /** The status answered, `hang`, or `fault` for a custom answer's status. */
  answer: number | 'hang';
}

export interface HostileOptions {
  /**
   * Auth the registry demands: Basic with `basic`; or Bearer tokens from `bearer.realm` (default this server's
   * `/token`), which checks `bearer.credentials` with Basic when given and answers `bearer.token`.
   */
  auth?:
    | { basic: Credentials }
    | { bearer: { realm?: string; service?: string; credentials?: Credentials; token?: string } };
  /** Serve https with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  /** Answers a request its own way; undefined serves it honestly. May be changed on the returned server. */
  fault?: (r: HostileRequest) => Answer | undefined;
}

export interface HostileRegistry {
  /** `127.0.0.1:PORT`, the registry part of a reference. */
  address: string;
  /** `http(s)://127.0.0.1:PORT`. */
  url: string;
  log: LoggedRequest[];
  /** Manifests by tag or digest (any repository), with the media type to serve them as. */
  manifests: Map<string, { bytes: Buffer; mediaType: string }>;
  blobs: Map<string, Buffer>;
  fault?: (r: HostileRequest) => Answer | undefined;
  /** Adds an image: its manifest under its digest and each tag, and its blobs. */
  serve(img: ServedImage, tags?: string[]): void;
  /** Requests that PUT a manifest (a tag written), for "no tag exists" checks. */
  puts(): LoggedRequest[];
  close(): Promise<void>;
}

/** An image as served: manifest bytes and media type, and every blob by digest. */
export interface ServedImage {
  manifest: { bytes: Buffer; mediaType: string; digest: string };
  blobs: Map<string, Buffer>;
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** An image from `buildImage` as served. */
export function servedImage(img: BuiltImage): ServedImage {
  const blobs = new Map<string, Buffer>();
  for (const [d, b] of img.blobs) if (d !== img.manifest.digest) blobs.set(d, Buffer.from(b));
  return {
    manifest: {
      bytes: Buffer.from(img.blobs.get(img.manifest.digest)!),
      mediaType: img.manifest.mediaType,
      digest: img.manifest.digest,
    },
    blobs,
  };
}

/**
 * An image of the given layers (compressed bytes and media type) and config, with the compat-smart annotation:
 * what a hostile or careless tool might push. `manifest` overrides or adds manifest fields (e.g. a lying size).
 */
export function composeImage(o: {
  layers: { bytes: Buffer; mediaType?: string; size?: number; digest?: string }[];
  config?: Record<string, unknown>;
  configMediaType?: string;
  manifest?: Record<string, unknown>;
  mediaType?: string;
}): ServedImage {
  const config = Buffer.from(
    JSON.stringify(
      o.config ?? {
        architecture: 'wasm',
        os: 'wasi',
        config: { Entrypoint: ['/app.wasm'] },
        rootfs: { type: 'layers', diff_ids: [] },
      },
    ),
  );
  const blobs = new Map<string, Buffer>([[sha256(config), config]]);
  const layers = o.layers.map((l) => {
    blobs.set(sha256(l.bytes), l.bytes);
    return {
      mediaType: l.mediaType ?? 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: l.digest ?? sha256(l.bytes),
      size: l.size ?? l.bytes.length,
    };
  });
  const mediaType = o.mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
  const manifest = {
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: o.configMediaType ?? 'application/vnd.oci.image.config.v1+json',
      digest: sha256(config),
      size: config.length,
    },
    layers,
    annotations: { 'module.wasm.image/variant': 'compat-smart' },
    ...o.manifest,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { manifest: { bytes, mediaType, digest: sha256(bytes) }, blobs };
}

/** An OCI index over `entries` (each an image and its platform), served with the images' blobs. */
export function composeIndex(
  entries: { image: ServedImage; platform: { os: string; architecture: string } }[],
): ServedImage {
  const blobs = new Map<string, Buffer>();
  const manifests = entries.map((e) => {
    for (const [d, b] of e.image.blobs) blobs.set(d, b);
    return {
      mediaType: e.image.manifest.mediaType,
      digest: e.image.manifest.digest,
      size: e.image.manifest.bytes.length,
      platform: e.platform,
    };
  });
  const mediaType = 'application/vnd.oci.image.index.v1+json';
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests }));
  return { manifest: { bytes, mediaType, digest: sha256(bytes) }, blobs };
}

/** A ustar header block for a regular file `name` of `size` bytes (mode 0755, mtime 0). */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write('0000755\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/**
 * A gzip bomb layer: a tar of `files` regular files named `name` (suffixed `.N` after the first) of `fileMiB` MiB of
 * zeros each, as concatenated gzip members (one 1 MiB member, ~1 KiB, repeated), so 3 GiB costs ~3 MB and no time.
 * Node's gunzip reads every member, as gzip(1) does.
 */
export function gzipBomb(o: { fileMiB: number; files?: number; name?: string }): Buffer {
  const mib = gzipSync(Buffer.alloc(1 << 20), { level: 9 });
  const parts: Buffer[] = [];
  for (let f = 0; f < (o.files ?? 1); f++) {
    parts.push(gzipSync(tarHeader(f ? `${o.name ?? 'app.wasm'}.${f}` : (o.name ?? 'app.wasm'), o.fileMiB * 2 ** 20)));
    for (let i = 0; i < o.fileMiB; i++) parts.push(mib);
  }
  parts.push(gzipSync(Buffer.alloc(1024)));
  return Buffer.concat(parts);
}

/** A self-signed certificate for 127.0.0.1 (openssl), or undefined when openssl is missing. */
export function selfSignedCert(): { key: string; cert: string; certFile: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'hostile-tls-'));
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    certFile: join(dir, 'cert.pem'),
  };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function writeAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  a: Answer,
  headers: Record<string, string>,
): Promise<void> {
  if (a.hang) return;
  if (a.redirect) {
    res.writeHead(a.status ?? 307, { location: a.redirect, 'content-length': '0' }).end();
    return;
  }
  const body = a.fill === undefined ? Buffer.from(a.body ?? '') : undefined;
  const total = a.fill ?? body!.length;
  const h: Record<string, string> = { ...headers };
  for (const [k, v] of Object.entries(a.headers ?? {})) {
    if (v === undefined) delete h[k.toLowerCase()];
    else h[k.toLowerCase()] = v;
  }
  if (a.contentLength === null) delete h['content-length'];
  else h['content-length'] = String(a.contentLength ?? total);
  res.writeHead(a.status ?? 200, h);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if (body && !a.slow && a.cutAfter === undefined && (a.contentLength ?? total) <= total) {
    res.end(body);
    return;
  }
  const chunk = a.slow?.chunk ?? 1 << 20;
  const filler = Buffer.alloc(Math.min(chunk, 1 << 20), 0x78);
  let sent = 0;
  while (sent < total && !res.destroyed) {
    let n = Math.min(chunk, total - sent);
    if (a.cutAfter !== undefined) n = Math.min(n, a.cutAfter - sent);
    if (n <= 0) break;
    const piece = body ? body.subarray(sent, sent + n) : filler.subarray(0, n);
    sent += n;
    if (!res.write(piece)) await drained(res);
    if (a.slow) await wait(a.slow.delayMs);
  }
  if (a.cutAfter !== undefined || (a.contentLength ?? total) > sent) {
    // Flush what was written, then drop the connection mid-body.
    await wait(20);
    res.socket?.destroy();
    return;
  }
  res.end();
}

/** Resolves when `res` can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Starts a hostile registry on 127.0.0.1 at a free port. Honestly it serves `/v2/`, manifests (with Content-Type,
 * Content-Length and Docker-Content-Digest), blobs, `/tags/list`, manifest PUTs (stored, 201) and `/token`; `fault`
 * overrides any request. Every request is logged with its Authorization header.
 */
export async function startHostileRegistry(o: HostileOptions = {}): Promise<HostileRegistry> {
  const log: LoggedRequest[] = [];
  const manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  const blobs = new Map<string, Buffer>();
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const token = (o.auth && 'bearer' in o.auth && o.auth.bearer.token) || 'hostile-token';
  let self: HostileRegistry;

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0];
    const method = req.method ?? 'GET';
    const key = `${method} ${path}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    const entry: LoggedRequest = { method, url, authorization: req.headers.authorization, answer: 200 };
    log.push(entry);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const answer = (a: Answer, headers: Record<string, string> = {}) => {
      entry.answer = a.hang ? 'hang' : a.redirect ? (a.status ?? 307) : (a.status ?? 200);
      return writeAnswer(req, res, a, headers);
    };
    const fault = self.fault?.({ method, path, url, headers: req.headers, n });
    if (fault) return answer(fault, { 'content-type': 'application/octet-stream' });

    if (path === '/token') {
      const creds = o.auth && 'bearer' in o.auth ? o.auth.bearer.credentials : undefined;
      const want = creds && `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      if (want && req.headers.authorization !== want) return answer({ status: 401, body: '{}' });
      return answer({ body: JSON.stringify({ token }) }, { 'content-type': 'application/json' });
    }
    if (o.auth) {
      const want =
        'basic' in o.auth
          ? `Basic ${Buffer.from(`${o.auth.basic.username}:${o.auth.basic.password}`).toString('base64')}`
          : `Bearer ${token}`;
      if (req.headers.authorization !== want) {
        const challenge =
          'basic' in o.auth
            ? 'Basic realm="hostile"'
            : `Bearer realm="${o.auth.bearer.realm ?? `${self.url}/token`}",service="${o.auth.bearer.service ?? 'hostile'}"`;
        return answer(
          { status: 401, body: '{"errors":[{"code":"UNAUTHORIZED"}]}' },
          { 'www-authenticate': challenge, 'content-type': 'application/json' },
        );
      }
    }
    if (path === '/v2/' || path === '/v2') return answer({ body: '{}' }, { 'content-type': 'application/json' });
    const m = /^\/v2\/(.+)\/(manifests|blobs|tags)\/([^/]+)$/.exec(path);
    if (!m) return answer({ status: 404, body: '{"errors":[{"code":"NOT_FOUND"}]}' });
    const [, , kind, ref] = m;
    if (kind === 'manifests' && method === 'PUT') {
      manifests.set(decodeURIComponent(ref), {
        bytes: Buffer.concat(chunks),
        mediaType: req.headers['content-type'] ?? '',
      });
      return answer({ status: 201 });
    }
    if (kind === 'manifests') {
      const hit = manifests.get(decodeURIComponent(ref));
      if (!hit) return answer({ status: 404, body: '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}' });
      return answer({ body: hit.bytes }, { 'content-type': hit.mediaType, 'docker-content-digest': sha256(hit.bytes) });
    }
    if (kind === 'blobs') {
      const hit = blobs.get(decodeURIComponent(ref));
      if (!hit) return answer({ status: 404, body: '{"errors":[{"code":"BLOB_UNKNOWN"}]}' });
      return answer(
        { body: hit },
        { 'content-type': 'application/octet-stream', 'docker-content-digest': sha256(hit) },
      );
    }
    const tags = [...manifests.keys()].filter((k) => !k.includes(':'));
    return answer({ body: JSON.stringify({ name: m[1], tags }) }, { 'content-type': 'application/json' });
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handler(req, res).catch(() => res.destroy());
  };
  const server = o.tls
    ? createHttpsServer({ key: o.tls.key, cert: o.tls.cert }, onRequest)
    : createHttpServer(onRequest);
  server.on(o.tls ? 'secureConnection' : 'connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  self = {
    address: `127.0.0.1:${port}`,
    url: `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    log,
    manifests,
    blobs,
    fault: o.fault,
    serve(img, tags = []) {
      for (const [d, b] of img.blobs) blobs.set(d, b);
      for (const ref of [img.manifest.digest, ...tags])
        manifests.set(ref, { bytes: img.manifest.bytes, mediaType: img.manifest.mediaType });
    },
    puts: () => log.filter((l) => l.method === 'PUT'),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
  return self;
}
