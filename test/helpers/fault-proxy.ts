// A loopback HTTP proxy in front of a registry that answers chosen requests with an error status instead of
// forwarding them, and records every request: for retry and no-tag-left tests.
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Passes a request on to the registry at host:port and its answer back (502 when the registry cannot be reached). */
export function forward(req: IncomingMessage, res: ServerResponse, host: string, port: number): void {
  const up = request({ host, port, method: req.method, path: req.url, headers: req.headers }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', () => res.writeHead(502).end());
  req.pipe(up);
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`, to use as the registry part of a reference. */
  address: string;
  /** `METHOD PATH` of every request, in order, and what was answered (`forwarded` or the injected status). */
  log: { line: string; answer: number | 'forwarded' }[];
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 forwarding to `target` (`127.0.0.1:PORT`). `fault(method, path, n)` gets each request
 * with its 1-based number among requests of the same `METHOD PATH-kind` and returns a status to answer with, or
 * undefined to forward it.
 */
export async function startFaultProxy(
  target: string,
  fault: (method: string, path: string) => number | undefined,
): Promise<FaultProxy> {
  const [host, port] = target.split(':');
  const log: FaultProxy['log'] = [];
  const server = createServer((req, res) => {
    const line = `${req.method} ${req.url}`;
    const status = fault(req.method ?? 'GET', req.url ?? '/');
    if (status !== undefined) {
      log.push({ line, answer: status });
      req.resume();
      res.writeHead(status, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE"}]}');
      return;
    }
    log.push({ line, answer: 'forwarded' });
    forward(req, res, host, Number(port));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: p } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${p}`,
    log,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
