// A loopback HTTP proxy in front of a registry that forwards every request except the ones `stall` picks, which it
// holds unanswered until it is closed: a push caught in the middle, for signal tests.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forward } from './fault-proxy.ts';

export interface StallProxy {
  /** `127.0.0.1:PORT`, to use as the registry part of a reference. */
  address: string;
  /** `METHOD PATH` of every request, in order. */
  log: string[];
  /** Resolves with the first stalled request's `METHOD PATH`, or rejects after `ms`. */
  stalled(ms: number): Promise<string>;
  /** Drops the held requests and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 forwarding to `target` (`127.0.0.1:PORT`); a request for which `stall(method, path)`
 * is true is never answered (until `close`). Blob uploads (`POST …/blobs/uploads/`) are what a push stalls on.
 */
export async function startStallProxy(
  target: string,
  stall: (method: string, path: string) => boolean,
): Promise<StallProxy> {
  const [host, port] = target.split(':');
  const log: string[] = [];
  const held: ServerResponse[] = [];
  let first: string | undefined;
  const waiters: ((line: string) => void)[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const line = `${req.method} ${req.url}`;
    log.push(line);
    if (stall(req.method ?? 'GET', req.url ?? '/')) {
      req.resume();
      held.push(res);
      if (first === undefined) {
        first = line;
        for (const w of waiters.splice(0)) w(line);
      }
      return;
    }
    forward(req, res, host, Number(port));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: p } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${p}`,
    log,
    stalled: (ms) =>
      first !== undefined
        ? Promise.resolve(first)
        : new Promise((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`no request stalled within ${ms} ms; saw: ${log.join(', ')}`)),
              ms,
            );
            waiters.push((line) => {
              clearTimeout(timer);
              resolve(line);
            });
          }),
    close: () =>
      new Promise((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
