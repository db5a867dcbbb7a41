import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { killGroup, OutputTail, spawnChild, tempDir, UserError } from '@wasm-build/kit';
import { httpRequest } from './transport.ts';

export interface LocalRegistry {
  /** `127.0.0.1:PORT`, usable as the registry part of an image reference. */
  address: string;
  port: number;
  /** Storage directory (removed by `stop`). */
  dir: string;
  stop(): Promise<void>;
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts the CNCF distribution registry (`docker-registry serve`, Debian package docker-registry; `registry` in the
 * registry:2 image) on 127.0.0.1 at a free port with filesystem storage in a temp dir, and waits until `/v2/`
 * answers. With `htpasswd` (a bcrypt htpasswd file's contents) it requires Basic auth. The registry is a tracked child
 * (kit `spawnChild`) and its directory a kit `tempDir`: a SIGINT/SIGTERM stops and removes both, as `stop` does.
 *
 * @throws UserError when the binary is missing (how to install it) or the registry does not come up in 15 s.
 * Source: distribution docs, "Configuring a registry" (storage.filesystem, http.addr, auth.htpasswd).
 */
export async function startLocalRegistry(o: { binary?: string; htpasswd?: string } = {}): Promise<LocalRegistry> {
  const port = await freePort();
  const temp = tempDir('wasm-build-registry-');
  const dir = temp.path;
  let auth = '';
  if (o.htpasswd) {
    writeFileSync(join(dir, 'htpasswd'), o.htpasswd);
    auth = `auth:\n  htpasswd:\n    realm: wasm-build\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  const config = `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`;
  writeFileSync(join(dir, 'config.yml'), config);
  const binary = o.binary ?? 'docker-registry';
  let child: ChildProcess;
  try {
    child = spawnChild({ command: binary, args: ['serve', join(dir, 'config.yml')] }, ['ignore', 'ignore', 'pipe']);
  } catch (e) {
    temp.remove();
    throw e;
  }
  // Only the last lines matter (why it exited); a chatty registry must not grow our memory.
  const stderr = new OutputTail(16 * 1024);
  child.stderr?.on('data', (b: Buffer) => stderr.push(b));
  const exited = new Promise<Error>((resolve) => {
    child.on('error', (e) => resolve(e));
    child.on('exit', (code) =>
      resolve(new Error(`exited with code ${code}: ${stderr.text('stderr').trim().split('\n').slice(-2).join(' | ')}`)),
    );
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child, 'SIGTERM');
      // An unref'd timer: once the registry has exited, nothing keeps the process alive for the rest of the 3 s.
      await Promise.race([exited, sleep(3000, undefined, { ref: false })]);
      if (child.exitCode === null && child.signalCode === null) killGroup(child, 'SIGKILL');
    }
    temp.remove();
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const failed = await Promise.race([exited, sleep(100, undefined, { ref: false })]);
    if (failed) {
      await stop();
      throw new UserError(`Local registry "${binary}" failed to start: ${failed.message}`, {
        fix: 'Install it (apt-get install docker-registry) or pass its path',
      });
    }
    const ok = await httpRequest(new URL(`http://127.0.0.1:${port}/v2/`), {
      method: 'GET',
      headers: {},
      signal: AbortSignal.timeout(2000),
    }).then(
      async (r) => {
        await r.cancel();
        return r.status === 200 || r.status === 401;
      },
      () => false,
    );
    if (ok) return { address: `127.0.0.1:${port}`, port, dir, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new UserError(`Local registry on 127.0.0.1:${port} did not answer within 15 s`);
    }
  }
}
