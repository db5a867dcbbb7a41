// The binaryen installer against a loopback server serving a release in the real layout, with Debian's wasm-opt
// inside: download, sha256 check, tool cache, and a second run that downloads nothing.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tc from '@actions/tool-cache';
import { memoryLog, UserError } from '@wasm-build/kit';
import { binaryenAsset, installBinaryen } from '@wasm-build/toolchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileServer, serveFiles } from './helpers/http-server.ts';
import { binaryenRelease, sha256Hex } from './helpers/releases.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const ready = requireTools('binaryen installer tests', { 'wasm-opt (Debian binaryen)': HAVE.wasmOpt });

describe.runIf(ready)('installBinaryen', () => {
  let server: FileServer;
  const paths = (n: string) => {
    const a = binaryenAsset({ version: n, baseUrl: 'http://x' });
    return { archive: new URL(a.url).pathname, checksum: new URL(a.sha256Url).pathname };
  };

  beforeAll(async () => {
    server = await serveFiles({});
    for (const n of ['901', '902']) {
      // 902's checksum file names the right file with the wrong digest.
      const r = await binaryenRelease(n, { wrongChecksum: n === '902' });
      server.files.set(r.archivePath, r.archive);
      server.files.set(r.checksumPath, r.checksum);
    }
  });
  afterAll(() => server.close());

  it('downloads, checks the .sha256, caches, and runs; the second run downloads nothing', async () => {
    const log = memoryLog();
    const first = await installBinaryen({ version: '901', baseUrl: server.url }, log);
    expect(first.cached).toBe(false);
    expect(first.downloadedBytes).toBe(server.files.get(paths('901').archive)?.length);
    expect(server.requests).toEqual([paths('901').archive, paths('901').checksum]);
    expect(first.wasmOpt).toBe(
      join(process.env.RUNNER_TOOL_CACHE!, 'binaryen', '901.0.0', process.arch, 'bin', 'wasm-opt'),
    );
    expect(spawnSync(first.wasmOpt, ['--version'], { encoding: 'utf8' }).stdout).toMatch(/^wasm-opt version \d+/);
    expect(log.lines.join('\n')).toMatch(/sha256 [0-9a-f]{64} verified/);

    const second = await installBinaryen({ version: 'version_901', baseUrl: server.url }, memoryLog());
    expect(second).toEqual({ ...first, cached: true, downloadedBytes: 0 });
    expect(server.requests).toHaveLength(2);
  });

  it('fails on a checksum mismatch with both digests and leaves nothing in the tool cache or temp', async () => {
    const before = readdirSync(process.env.RUNNER_TEMP!);
    const err = await installBinaryen({ version: '902', baseUrl: server.url }, memoryLog()).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    const body = server.files.get(paths('902').archive)!;
    expect(err.message).toBe(
      `sha256 mismatch for ${server.url}${paths('902').archive}: expected ${sha256Hex(Buffer.from('something else'))}, got ${sha256Hex(body)}`,
    );
    expect(tc.findAllVersions('binaryen')).not.toContain('902.0.0');
    expect(existsSync(join(process.env.RUNNER_TOOL_CACHE!, 'binaryen', '902.0.0'))).toBe(false);
    expect(readdirSync(process.env.RUNNER_TEMP!)).toEqual(before);
  });

  it('names the URL and the HTTP status when the release does not exist', async () => {
    const err = await installBinaryen({ version: '903', baseUrl: server.url }, memoryLog()).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(`Download of binaryen 903.0.0 failed: ${server.url}${paths('903').archive} (HTTP 404)`);
  });

  it('rejects a version that is not a release number before any download', () => {
    expect(() => binaryenAsset({ version: 'latest' })).toThrow(
      /^Invalid binaryen version "latest": expected a release number/,
    );
  });
});
