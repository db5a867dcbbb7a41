import { defineConfig } from 'vitest/config';

// Integration tests: real cargo, wasm-opt, wabt, docker-registry, skopeo, umoci, crun. One worker: they share
// ports, the cargo target dir and the tool cache.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.itg.ts', 'test/**/*.test.itg.ts'],
    setupFiles: ['test/helpers/setup-env.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
