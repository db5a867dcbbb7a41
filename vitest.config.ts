import { defineConfig } from 'vitest/config';

// Unit tests: no network, no external tools; fast.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'actions/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['test/helpers/setup-env.ts'],
    testTimeout: 20_000,
  },
});
