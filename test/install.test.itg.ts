// The binaryen installer against a loopback server serving a release in the real layout, with Debian's wasm-opt
// inside: download, sha256 check, tool cache, and a second run that downloads nothing.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tc from '@actions/tool-cache';
import { memoryLog, UserError } from '@wasm-build/kit';
import { binaryenAsset, installBinaryen } from '@wasm-build/toolchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileServer, serveFiles, tarGz } from './helpers/http-server.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const ready = requireTools('binaryen installer tests', { 'wasm-opt (Debian binaryen)': HAVE.wasmOpt });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** binaryen-version_N/{bin/wasm-opt, lib/, include/binaryen-c.h}: the layout of the official Linux release. */
async function releaseArchive(n: string): Promise<Buffer> {
  const dir = (name: string) => ({ header: { name, type: 'directory' as const, mode: 0o755 } });
  return tarGz([
    dir(`binaryen-version_${n}/`),
    dir(`binaryen-version_${n}/bin/`),
    {
      header: { name: `binaryen-version_${n}/bin/wasm-opt`, mode: 0o755 },
      data: readFileSync(spawnSync('sh', ['-c', 'command -v wasm-opt'], { encoding: 'utf8' }).stdout.trim()),
    },
    dir(`binaryen-version_${n}/include/`),
    { header: { name: `binaryen-version_${n}/include/binaryen-c.h`, mode: 0o644 }, data: Buffer.from('/* */\n') },
    dir(`binaryen-version_${n}/lib/`),
  ]);
}

describe.runIf(ready)('installBinaryen', () => {
  let server: FileServer;
  const paths = (n: string) => {
    const a = binaryenAsset({ version: n, baseUrl: 'http://x' });
    return { archive: new URL(a.url).pathname, checksum: new URL(a.sha256Url).pathname, fileName: a.fileName };
  };

  beforeAll(async () => {
    server = await serveFiles({});
    for (const n of ['901', '902']) {
      const body = await releaseArchive(n);
      const p = paths(n);
      server.files.set(p.archive, body);
      // 902's checksum file names the right file with the wrong digest.
      const digest = n === '901' ? sha(body) : sha(Buffer.from('something else'));
      server.files.set(p.checksum, Buffer.from(`${digest}  ${p.fileName}\n`));
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
      `sha256 mismatch for ${server.url}${paths('902').archive}: expected ${sha(Buffer.from('something else'))}, got ${sha(body)}`,
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
