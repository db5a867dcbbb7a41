// Every request through a bounded, retrying, proxy-aware client: tool downloads that hang or stream forever, the
// releases API's rate limit (403 with x-ratelimit-remaining: 0), and HTTP(S)_PROXY / NO_PROXY honoured by every
// request (registry, releases API, downloads), all against loopback servers.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { downloadFile, memoryLog } from '@wasm-build/kit';
import { installReleaseAsset } from '@wasm-build/toolchain';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect } from './helpers/child.ts';
import { tarGz } from './helpers/http-server.ts';
import { sha256Hex } from './helpers/releases.ts';

const ROOT = resolve(import.meta.dirname, '..');
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(handler: Handler): Promise<{ url: string; server: Server; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits };
}
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections?.();
    s.close();
  }
});
const temp = () => readdirSync(process.env.RUNNER_TEMP!).filter((f) => f.startsWith('wasm-build-download-'));

describe('downloadFile', () => {
  it('gives up on a server that accepts and never answers, within the idle timeout, leaving nothing', async () => {
    const s = await serve(() => {}); // never answers
    servers.push(s.server);
    const t0 = performance.now();
    const err = await downloadFile(`${s.url}/tool.tar.gz`, 'tool 1.0', undefined, {
      idleTimeoutMs: 300,
      retry: { attempts: 2, minTimeoutMs: 10 },
    }).catch((e) => e);
    expect(err.name).toBe('UserError');
    expect(err.message).toBe(`Download of tool 1.0 failed: ${s.url}/tool.tar.gz (no answer within 300 ms)`);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(s.hits.length).toBe(2);
    expect(temp()).toEqual([]);
  });

  it('gives up on a body that stops, and refuses one larger than the cap', async () => {
    const s = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      if (req.url === '/stall')
        res.write(Buffer.alloc(1000)); // then nothing more
      else res.end(Buffer.alloc(10_000));
    });
    servers.push(s.server);
    const stall = await downloadFile(`${s.url}/stall`, 'x', undefined, {
      idleTimeoutMs: 300,
      retry: { attempts: 1 },
    }).catch((e) => e);
    expect(stall.message).toBe(`Download of x failed: ${s.url}/stall (no data for 300 ms)`);
    const big = await downloadFile(`${s.url}/big`, 'x', undefined, { maxBytes: 4096 }).catch((e) => e);
    expect(big.message).toBe(`x at ${s.url}/big is larger than 4096 bytes`);
    expect(temp()).toEqual([]);
  });

  it('retries 503 and then succeeds', async () => {
    let n = 0;
    const s = await serve((_req, res) => {
      if (n++ < 2) res.writeHead(503).end('busy');
      else res.writeHead(200).end('payload');
    });
    servers.push(s.server);
    const file = await downloadFile(`${s.url}/f`, 'f', undefined, { retry: { minTimeoutMs: 10 } });
    expect(readFileSync(file, 'utf8')).toBe('payload');
    expect(s.hits.length).toBe(3);
  });
});

describe('the releases API under a rate limit', () => {
  const saved = {
    api: process.env.GITHUB_API_URL,
    server: process.env.GITHUB_SERVER_URL,
    retry: process.env.WASM_BUILD_RETRY_MIN_MS,
  };
  let api: Awaited<ReturnType<typeof serve>>;
  let mode: 'limit-once' | 'limit-always' = 'limit-once';
  let limited = 0;
  const auth: (string | undefined)[] = [];
  let archive: Buffer;
  beforeAll(async () => {
    archive = await tarGz([{ header: { name: 'demo', mode: 0o755 }, data: Buffer.from('#!/bin/sh\necho demo\n') }]);
    api = await serve((req, res) => {
      if (req.url?.startsWith('/repos/')) {
        auth.push(req.headers.authorization);
        if (mode === 'limit-always' || limited++ === 0) {
          res.writeHead(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1893456000' }).end('{}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            assets: [
              {
                name: 'demo.tar.gz',
                browser_download_url: `${api.url}/dl/demo.tar.gz`,
                digest: `sha256:${sha256Hex(archive)}`,
              },
            ],
          }),
        );
      } else res.writeHead(200).end(archive);
    });
    process.env.GITHUB_API_URL = api.url;
    process.env.GITHUB_SERVER_URL = api.url;
    process.env.WASM_BUILD_RETRY_MIN_MS = '5';
  });
  afterAll(() => {
    for (const [k, v] of Object.entries({
      GITHUB_API_URL: saved.api,
      GITHUB_SERVER_URL: saved.server,
      WASM_BUILD_RETRY_MIN_MS: saved.retry,
    }))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    api.server.close();
  });
  const asset = (version: string) => ({
    tool: 'demo',
    version,
    repo: 'o/demo',
    tag: `v${version}`,
    asset: 'demo.tar.gz',
    token: 'tok-123',
  });

  it('a 403 with x-ratelimit-remaining: 0 is retried, with the token; the install then succeeds', async () => {
    const r = await installReleaseAsset(asset('1.0.0'), memoryLog());
    expect(readFileSync(join(r.dir, 'demo'), 'utf8')).toContain('echo demo');
    expect(auth).toEqual(['Bearer tok-123', 'Bearer tok-123']);
  });

  it('a rate limit that lasts is reported as a rate limit, with the reset time and the token fix', async () => {
    mode = 'limit-always';
    const err = await installReleaseAsset(asset('2.0.0'), memoryLog()).catch((e) => e);
    expect(err.message).toBe(
      `GitHub's releases API rate limit was hit for ${api.url}/repos/o/demo/releases/tags/v2.0.0 (HTTP 403, x-ratelimit-remaining: 0, resets at 2030-01-01T00:00:00.000Z)`,
    );
    expect(err.fix).toMatch(/^Pass a token \(the github-token input/);
  });
});

// A tunnelling proxy (undici's ProxyAgent sends CONNECT, for http:// targets too) that remembers the local port of
// every connection it opens, so the target can tell a proxied request from a direct one.
async function tunnellingProxy() {
  const tunnels = new Set<number>();
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, sock: Socket, head: Buffer) => {
    const [host, port] = (req.url ?? '').split(':');
    const up = connect(Number(port), host, () => {
      tunnels.add(up.localPort!);
      sock.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(sock);
      sock.pipe(up);
    });
    up.on('error', () => sock.destroy());
    sock.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, tunnels };
}

describe('proxies', () => {
  it('HTTP_PROXY carries the registry, releases API and download requests; NO_PROXY covering the host, none', async () => {
    const proxy = await tunnellingProxy();
    servers.push(proxy.server);
    const seen: { path: string; proxied: boolean }[] = [];
    const target = await serve((req, res) => {
      seen.push({
        path: new URL(req.url ?? '/', 'http://x').pathname,
        proxied: proxy.tunnels.has(req.socket.remotePort!),
      });
      if (req.url?.startsWith('/v2/')) res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":["a"]}');
      else if (req.url?.startsWith('/repos/')) res.writeHead(404).end('{}');
      else res.writeHead(200).end('file');
    });
    servers.push(target.server);
    // Each run is its own process: the proxy dispatcher is process-wide, as under the runner.
    const dir = mkdtempSync(join(tmpdir(), 'proxy-'));
    const script = join(dir, 'child.mts');
    writeFileSync(
      script,
      `import { downloadFile, useProxyFromEnv } from ${JSON.stringify(join(ROOT, 'packages/kit/src/index.ts'))};
import { parseImageRef, RegistryClient } from ${JSON.stringify(join(ROOT, 'packages/oci/src/index.ts'))};
import { resolveReleaseAsset } from ${JSON.stringify(join(ROOT, 'packages/toolchain/src/index.ts'))};
await useProxyFromEnv();
const host = ${JSON.stringify(target.url.replace('http://', ''))};
await new RegistryClient(parseImageRef(host + '/r/app:v1'), { insecure: true }).tags();
await resolveReleaseAsset({ tool: 't', version: '1.0.0', repo: 'o/t', tag: 'v1', asset: 'a' }).catch(() => {});
await downloadFile(${JSON.stringify(`${target.url}/f`)}, 'f');
`,
    );
    // Asynchronously: the proxy and the target serve from this process.
    const run = (env: Record<string, string>) =>
      collect(
        spawn(process.execPath, ['--no-warnings', '--import', 'tsx', script], {
          cwd: ROOT,
          env: { ...process.env, GITHUB_API_URL: target.url, WASM_BUILD_RETRY_MIN_MS: '5', ...env },
          timeout: 60_000,
        }),
      );
    const via = await run({ HTTP_PROXY: proxy.url, NO_PROXY: '' });
    expect(via.code, via.stderr).toBe(0);
    const paths = ['/v2/r/app/tags/list', '/repos/o/t/releases/tags/v1', '/f'];
    expect(seen).toEqual(paths.map((path) => ({ path, proxied: true })));
    seen.length = 0;
    const direct = await run({ HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    expect(direct.code, direct.stderr).toBe(0);
    expect(seen).toEqual(paths.map((path) => ({ path, proxied: false })));
  });
});
