// The registry client's transport against a loopback server: bodies decoded as fetch decodes them, connections kept
// across requests whose bodies are short or absent and cut when a long body is abandoned, errors carrying the
// socket's code, and an abort stopping a request that never answers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { httpRequest } from '@wasm-build/oci/transport';
import { afterEach, describe, expect, it } from 'vitest';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server answering with `handle`, counting the TCP connections it accepted. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handle);
  let connections = 0;
  server.on('connection', () => connections++);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: (path: string) => new URL(`http://127.0.0.1:${port}${path}`), connections: () => connections };
}

const get = (url: URL, method: 'GET' | 'HEAD' = 'GET') =>
  httpRequest(url, { method, headers: { 'Accept-Encoding': 'identity' }, signal: AbortSignal.timeout(5000) }, {});

async function text(a: Awaited<ReturnType<typeof get>>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of a.body) parts.push(Buffer.from(c));
  return Buffer.concat(parts).toString();
}

describe('httpRequest (node:http, no proxy)', () => {
  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('decodes a body sent with Content-Encoding %s, as fetch does', async (coding, encode) => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-encoding': coding }).end(encode(Buffer.from('{"tags":["v1"]}')));
    });
    const a = await get(s.url('/v2/x/tags/list'));
    expect([a.status, a.ok, await text(a)]).toEqual([200, true, '{"tags":["v1"]}']);
  });

  it('keeps the connection for HEADs, short bodies read or cancelled, and cuts it for an abandoned long body', async () => {
    // As a registry answers: a Content-Length on every answer, HEADs included (without one a HEAD's connection
    // cannot be reused).
    const s = await serve((req, res) => {
      if (req.url === '/long') res.writeHead(200, { 'content-length': String(1 << 20) }).end(Buffer.alloc(1 << 20));
      else {
        const headers = { 'content-type': 'application/json', 'content-length': '7' };
        res.writeHead(req.url === '/missing' ? 404 : 200, headers).end(req.method === 'HEAD' ? undefined : '{"a":1}');
      }
    });
    const head = await get(s.url('/blob'), 'HEAD');
    await head.cancel();
    const missing = await get(s.url('/missing'));
    await missing.cancel();
    expect([head.status, missing.status, missing.ok, missing.headers.get('Content-Type')]).toEqual([
      200,
      404,
      false,
      'application/json',
    ]);
    expect(await text(await get(s.url('/read')))).toBe('{"a":1}');
    expect(s.connections()).toBe(1);
    const long = await get(s.url('/long'));
    await long.cancel();
    await text(await get(s.url('/after')));
    expect(s.connections()).toBe(2);
  });

  it('rejects with the socket error as its cause when nothing listens', async () => {
    const s = await serve(() => {});
    const url = s.url('/v2/');
    await new Promise((r) => servers.pop()!.close(r));
    const e = (await get(url).catch((x: unknown) => x)) as Error & { cause?: { code?: string } };
    expect(e.message).toBe(`request to ${url.origin} failed`);
    expect(e.cause?.code).toBe('ECONNREFUSED');
  });

  it('stops a request that never answers when its signal aborts', async () => {
    const s = await serve(() => {}); // accepts, never answers
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('timed out')), 50);
    const started = Date.now();
    await expect(httpRequest(s.url('/v2/'), { method: 'GET', headers: {}, signal: ac.signal }, {})).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('goes through fetch (and so the proxy) when a proxy variable is set', async () => {
    const seen: string[] = [];
    const s = await serve((req, res) => {
      seen.push(String(req.headers['user-agent']));
      res.writeHead(200).end('ok');
    });
    const a = await httpRequest(
      s.url('/v2/'),
      { method: 'GET', headers: {}, signal: AbortSignal.timeout(5000) },
      { HTTP_PROXY: 'http://127.0.0.1:9' },
    );
    // Node's fetch says it is undici; without an agent set up for the proxy variable it goes direct.
    expect([a.status, await text(a)]).toEqual([200, 'ok']);
    expect(seen).toEqual(['node']);
  });
});
