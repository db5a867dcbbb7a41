// A loopback HTTP proxy in front of a registry that answers chosen requests with an error status instead of
// forwarding them, and records every request with the status and the response body bytes sent back: for retry,
// no-tag-left and bytes-downloaded tests.
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Passes a request on to the registry at host:port and its answer back (502 when the registry cannot be reached).
 * `sent`, when given, is told the answer's status at once, and then each body chunk's size (bytes) as it goes to
 * the client: the body bytes only, not the headers, so a HEAD counts 0 whatever its Content-Length says.
 */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  host: string,
  port: number,
  sent?: { status(code: number): void; bytes(n: number): void },
): void {
  const up = request({ host, port, method: req.method, path: req.url, headers: req.headers }, (r) => {
    sent?.status(r.statusCode ?? 502);
    res.writeHead(r.statusCode ?? 502, r.headers);
    if (sent) r.on('data', (c: Buffer) => sent.bytes(c.length));
    r.pipe(res);
  });
  up.on('error', () => {
    sent?.status(502);
    res.writeHead(502).end();
  });
  req.pipe(up);
}

/** The response body bytes of `entries` added up. */
export function bytesSent(entries: FaultProxy['log']): number {
  return entries.reduce((n, e) => n + e.bytes, 0);
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`, to use as the registry part of a reference. */
  address: string;
  /**
   * `METHOD PATH` of every request, in order, and what was answered (`forwarded` or the injected status); `status`
   * is the status the client got, `bytes` the response body bytes sent to it so far (complete once it has read
   * the answer).
   */
  log: { line: string; method: string; path: string; answer: number | 'forwarded'; status?: number; bytes: number }[];
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
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const line = `${method} ${path}`;
    const status = fault(method, path);
    if (status !== undefined) {
      const body = '{"errors":[{"code":"UNAVAILABLE"}]}';
      log.push({ line, method, path, answer: status, status, bytes: method === 'HEAD' ? 0 : body.length });
      req.resume();
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      return;
    }
    const entry: FaultProxy['log'][number] = { line, method, path, answer: 'forwarded', bytes: 0 };
    log.push(entry);
    forward(req, res, host, Number(port), {
      status: (code) => {
        entry.status = code;
      },
      bytes: (n) => {
        entry.bytes += n;
      },
    });
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
