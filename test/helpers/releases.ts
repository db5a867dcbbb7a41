// Release archives in the real layouts, for installers tested against a loopback server.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { binaryenAsset } from '@wasm-build/toolchain';
import { tarGz } from './http-server.ts';

export const sha256Hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * binaryen-version_N/{bin/wasm-opt, include/binaryen-c.h, lib/}: the official Linux release's layout, holding this
 * machine's (Debian) wasm-opt. Returns the server paths of the archive and its `.sha256` with their bodies; with
 * `wrongChecksum` the checksum file names the right file with another digest.
 */
export async function binaryenRelease(n: string, o: { wrongChecksum?: boolean } = {}) {
  const dir = (name: string) => ({ header: { name, type: 'directory' as const, mode: 0o755 } });
  const wasmOpt = spawnSync('sh', ['-c', 'command -v wasm-opt'], { encoding: 'utf8' }).stdout.trim();
  const archive = await tarGz([
    dir(`binaryen-version_${n}/`),
    dir(`binaryen-version_${n}/bin/`),
    { header: { name: `binaryen-version_${n}/bin/wasm-opt`, mode: 0o755 }, data: readFileSync(wasmOpt) },
    dir(`binaryen-version_${n}/include/`),
    { header: { name: `binaryen-version_${n}/include/binaryen-c.h`, mode: 0o644 }, data: Buffer.from('/* */\n') },
    dir(`binaryen-version_${n}/lib/`),
  ]);
  const a = binaryenAsset({ version: n, baseUrl: 'http://x' });
  const digest = o.wrongChecksum ? sha256Hex(Buffer.from('something else')) : sha256Hex(archive);
  return {
    archivePath: new URL(a.url).pathname,
    checksumPath: new URL(a.sha256Url).pathname,
    fileName: a.fileName,
    archive,
    checksum: Buffer.from(`${digest}  ${a.fileName}\n`),
  };
}
