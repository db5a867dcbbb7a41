// A loopback HTTP server serving fixed files, counting requests: stands in for GitHub release downloads.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { packTar, type TarEntry } from '@wasm-build/oci';

export interface FileServer {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  /** Paths requested, in order. */
  requests: string[];
  /** Files served by path; tests may change them between runs. */
  files: Map<string, Buffer>;
  close(): Promise<void>;
}

/** Serves `files` (path → bytes) on 127.0.0.1 at a free port; any other path is a 404. */
export async function serveFiles(files: Record<string, Buffer>): Promise<FileServer> {
  const map = new Map(Object.entries(files));
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    const body = map.get(path);
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    files: map,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A .tar.gz of the entries, as release archives are. */
export async function tarGz(entries: TarEntry[]): Promise<Buffer> {
  return gzipSync(await packTar(entries));
}
