#!/usr/bin/env node
// The published CLI: the bundle scripts/build-cli.ts writes (npm pack builds it). In a checkout where it has not
// been built, the sources run through tsx, as the repo root's bin/wasm-build.js runs them.
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node 22.1 and later cache V8's compiled code of the bundle (in the OS temp dir), so later runs skip most of the
// compile, as TypeScript's lib/tsc.js does; Node 20 has no such cache and skips this.
module.enableCompileCache?.();
const bundle = new URL('../dist/cli.mjs', import.meta.url);
await import(existsSync(bundle) ? bundle.href : '../../../bin/wasm-build.js');
