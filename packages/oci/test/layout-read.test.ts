// readLayoutImage on crafted layouts: digests that are paths, blobs that are symlinks to /dev/zero or host files,
// directories, wrong sizes, an index.json that is huge, a symlink or not JSON. Each must be one UserError, and no
// read may go outside the layout or past a limit.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@wasm-build/kit';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildImage, sha256, writeLayout } from '../src/layout.ts';
import { entrypointModule, readLayoutImage } from '../src/pull.ts';

const wasm = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
let dir: string;

interface Index {
  manifests: { digest: string; size: number; mediaType: string }[];
}

function index(): Index {
  return JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Index;
}
function setIndex(i: Index | string): void {
  writeFileSync(join(dir, 'index.json'), typeof i === 'string' ? i : JSON.stringify(i));
}
const blob = (digest: string) => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));

async function userError(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(UserError);
  return (e as UserError).message;
}

let img: Awaited<ReturnType<typeof buildImage>>;
beforeEach(async () => {
  img = await buildImage({ wasm, name: 'app' });
  dir = join(mkdtempSync(join(tmpdir(), 'layout-read-')), 'layout');
  writeLayout(img, dir, 'v1');
});

describe('readLayoutImage', () => {
  it('control: reads the layout the image action writes, and its module', async () => {
    const r = await readLayoutImage(dir, 'v1');
    expect(r.digest).toBe(img.manifest.digest);
    expect(sha256(await entrypointModule(r))).toBe(sha256(wasm));
  });

  it.each([
    'sha256:../../../../../../etc/passwd',
    'sha256:../../index.json',
    `sha256:${'A'.repeat(64)}`,
    `sha1:${'a'.repeat(40)}`,
  ])('refuses the descriptor digest %j before it becomes a path', async (digest) => {
    const i = index();
    i.manifests[0].digest = digest;
    setIndex(i);
    expect(await userError(readLayoutImage(dir))).toBe(
      `Invalid digest ${JSON.stringify(digest)} in index.json of layout "${dir}"`,
    );
  });

  it('refuses a blob that is a symlink to /dev/zero, without reading it', async () => {
    rmSync(blob(img.layer.digest));
    symlinkSync('/dev/zero', blob(img.layer.digest));
    expect(await userError(readLayoutImage(dir))).toBe(
      `Refusing blob ${img.layer.digest} in "${dir}": blobs/sha256/${img.layer.digest.slice(7)} is a symlink`,
    );
  });

  it('refuses a blob that is a symlink to a host file', async () => {
    const host = join(mkdtempSync(join(tmpdir(), 'host-')), 'secret');
    writeFileSync(host, readFileSync(blob(img.config.digest)));
    rmSync(blob(img.config.digest));
    symlinkSync(host, blob(img.config.digest));
    expect(await userError(readLayoutImage(dir))).toMatch(/blobs\/sha256\/[a-f0-9]{64} is a symlink$/);
  });

  it('refuses a blobs directory that resolves outside the layout', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'outside-'));
    for (const d of [img.manifest.digest, img.config.digest, img.layer.digest])
      writeFileSync(join(outside, d.slice(7)), readFileSync(blob(d)));
    rmSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    symlinkSync(outside, join(dir, 'blobs', 'sha256'));
    expect(await userError(readLayoutImage(dir))).toMatch(/blobs\/sha256\/[a-f0-9]{64} resolves outside the layout$/);
  });

  it('refuses a blob that is a directory', async () => {
    rmSync(blob(img.layer.digest));
    mkdirSync(blob(img.layer.digest));
    expect(await userError(readLayoutImage(dir))).toMatch(/ is not a regular file$/);
  });

  it('refuses a blob whose size is not its descriptor size, before reading it', async () => {
    writeFileSync(blob(img.layer.digest), Buffer.concat([readFileSync(blob(img.layer.digest)), Buffer.alloc(1)]));
    expect(await userError(readLayoutImage(dir))).toMatch(
      new RegExp(` is ${img.layer.size + 1} bytes, its descriptor says ${img.layer.size}$`),
    );
  });

  it('refuses a corrupt blob of the right size', async () => {
    const b = readFileSync(blob(img.config.digest));
    b[0] ^= 1;
    writeFileSync(blob(img.config.digest), b);
    expect(await userError(readLayoutImage(dir))).toBe(
      `The config ${img.config.digest} of layout "${dir}" hashes to ${sha256(b)}`,
    );
  });

  it('refuses a missing blob', async () => {
    rmSync(blob(img.layer.digest));
    expect(await userError(readLayoutImage(dir))).toMatch(/ is missing$/);
  });

  it('refuses a descriptor size over the limit before reading anything', async () => {
    const i = index();
    i.manifests[0].size = 2 ** 40;
    setIndex(i);
    expect(await userError(readLayoutImage(dir))).toBe(
      `The manifest in index.json of layout "${dir}" is 1099511627776 bytes, more than the 4194304 allowed`,
    );
  });

  it.each([
    ['a symlink to /dev/zero', () => symlinkSync('/dev/zero', join(dir, 'index.json')), /index\.json is a symlink$/],
    [
      '5 MiB',
      () => writeFileSync(join(dir, 'index.json'), Buffer.alloc(5 << 20, 0x20)),
      /index\.json is 5242880 bytes, more than the 4194304 allowed$/,
    ],
    ['not JSON', () => writeFileSync(join(dir, 'index.json'), '{"manifests":'), /index\.json\) is not valid JSON/],
    ['a directory', () => mkdirSync(join(dir, 'index.json')), /index\.json is not a regular file$/],
  ])('refuses an index.json that is %s', async (_what, craft, message) => {
    rmSync(join(dir, 'index.json'));
    craft();
    expect(await userError(readLayoutImage(dir))).toMatch(message);
  });

  it('says what is wrong when the directory is not a layout', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'not-layout-'));
    expect(await userError(readLayoutImage(empty))).toBe(`Not an OCI image layout: "${empty}" has no index.json`);
    expect(await userError(readLayoutImage(join(empty, 'nope')))).toBe(
      `Not an OCI image layout: "${join(empty, 'nope')}" cannot be read (ENOENT)`,
    );
    writeFileSync(join(empty, 'file'), '');
    expect(await userError(readLayoutImage(join(empty, 'file')))).toBe(
      `Not an OCI image layout: "${join(empty, 'file')}" is not a directory`,
    );
  });
});
