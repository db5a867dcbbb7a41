// A real CNCF distribution registry on 127.0.0.1 for a test file, started and stopped by its hooks.
import { type LocalRegistry, startLocalRegistry } from '@wasm-build/oci';
import { afterAll, beforeAll } from 'vitest';

/**
 * Starts `docker-registry` before the file's tests and stops it after; read `.current` inside tests. Without auth,
 * `WASM_BUILD_TEST_REGISTRY` (e.g. `localhost:5000`, the registry:2 service of e2e.yml) is used instead when set.
 */
export function useLocalRegistry(options: { htpasswd?: string } = {}): { current: LocalRegistry } {
  const holder = {} as { current: LocalRegistry };
  beforeAll(async () => {
    const external = process.env.WASM_BUILD_TEST_REGISTRY;
    holder.current =
      external && !options.htpasswd
        ? { address: external, port: Number(external.split(':')[1]), dir: '', stop: async () => {} }
        : await startLocalRegistry(options);
  });
  afterAll(async () => {
    await holder.current?.stop();
  });
  return holder;
}
