#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx wasm-build` works from a checkout without a build step. The published
// CLI is packages/cli: `npm pack` there bundles it (scripts/build-cli.ts) and runs without tsx.
import { register } from 'tsx/esm/api';

register();
await import('../packages/pipeline/src/cli.ts');
