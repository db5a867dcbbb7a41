// Points the runner's directories at a per-run temp dir and clears action inputs, as actions/toolkit's tests do,
// so nothing a test does touches the real runner environment.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'wasm-build-test-'));
for (const [name, dir] of [
  ['RUNNER_TEMP', 'runner-temp'],
  ['RUNNER_TOOL_CACHE', 'tool-cache'],
]) {
  mkdirSync(join(root, dir), { recursive: true });
  process.env[name] = join(root, dir);
}

beforeEach(() => {
  for (const key of Object.keys(process.env)) {
    if (key.startsWith('INPUT_')) delete process.env[key];
  }
});
