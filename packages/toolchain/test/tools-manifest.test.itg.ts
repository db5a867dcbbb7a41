// A default install checked against a digest we ship (tools-manifest.json), not the release's own checksum file:
// binaryen from a loopback server in the real release layout, with a fixture manifest.
import { memoryLog } from '@wasm-build/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileServer, serveFiles } from '../../../test/helpers/http-server.ts';
import { binaryenRelease, sha256Hex } from '../../../test/helpers/releases.ts';
import { HAVE, requireTools } from '../../../test/helpers/tools.ts';
import { installBinaryen } from '../src/binaryen.ts';
import { loadToolsManifest, type ToolsManifest } from '../src/tools-manifest.ts';

const ready = requireTools('tools-manifest installer tests', { 'wasm-opt (Debian binaryen)': HAVE.wasmOpt });

function manifestFor(n: string, fileName: string, digest: string): ToolsManifest {
  const m = structuredClone(loadToolsManifest());
  m.tools.binaryen = { ...m.tools.binaryen, version: n, tag: `version_${n}`, assets: { [fileName]: digest } };
  return m;
}

describe.runIf(ready)('installBinaryen with a tools manifest', () => {
  let server: FileServer;
  const rel: Record<string, Awaited<ReturnType<typeof binaryenRelease>>> = {};
  beforeAll(async () => {
    server = await serveFiles({});
    for (const n of ['911', '912']) {
      // The release's own checksum file is wrong: only the manifest's digest can make the install pass.
      rel[n] = await binaryenRelease(n, { wrongChecksum: true });
      server.files.set(rel[n].archivePath, rel[n].archive);
      server.files.set(rel[n].checksumPath, rel[n].checksum);
    }
  });
  afterAll(() => server.close());

  it('checks the archive against the pinned digest and never fetches the .sha256', async () => {
    const r = rel['911'];
    const manifest = manifestFor('911', r.fileName, sha256Hex(r.archive));
    const before = server.requests.length;
    const got = await installBinaryen({ version: '911', baseUrl: server.url, manifest }, memoryLog());
    expect(got.cached).toBe(false);
    expect(server.requests.slice(before)).toEqual([r.archivePath]);
  });

  it('a pinned digest that does not match fails with both digests, still without the .sha256', async () => {
    const r = rel['912'];
    const manifest = manifestFor('912', r.fileName, 'b'.repeat(64));
    const before = server.requests.length;
    const err = await installBinaryen({ version: '912', baseUrl: server.url, manifest }, memoryLog()).catch((e) => e);
    expect(String(err.message)).toMatch(
      new RegExp(`b{64}[\\s\\S]*${sha256Hex(r.archive)}|${sha256Hex(r.archive)}[\\s\\S]*b{64}`),
    );
    expect(server.requests.slice(before)).toEqual([r.archivePath]);
  });
});
