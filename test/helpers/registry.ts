// A real CNCF distribution registry on 127.0.0.1 for a test file, started and stopped by its hooks.
import { type LocalRegistry, startLocalRegistry } from '@wasm-build/oci';
import { afterAll, beforeAll } from 'vitest';

/** Starts `docker-registry` before the file's tests and stops it after; read `.current` inside tests. */
export function useLocalRegistry(options: { htpasswd?: string } = {}): { current: LocalRegistry } {
  const holder = {} as { current: LocalRegistry };
  beforeAll(async () => {
    holder.current = await startLocalRegistry(options);
  });
  afterAll(async () => {
    await holder.current?.stop();
  });
  return holder;
}
