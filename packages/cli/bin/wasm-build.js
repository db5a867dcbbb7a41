#!/usr/bin/env node
// The published CLI: the bundle scripts/build-cli.ts writes (npm pack builds it). From a checkout without a build,
// run the repo root's bin/wasm-build.js instead (`npx wasm-build` there).
import module from 'node:module';

// Node 22.1 and later cache V8's compiled code of the bundle (in the OS temp dir), so later runs skip most of the
// compile, as TypeScript's lib/tsc.js does; Node 20 has no such cache and skips this.
module.enableCompileCache?.();
await import('../dist/cli.mjs');
