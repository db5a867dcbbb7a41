import { join } from 'node:path';
import { UserError } from '@wasm-build/kit/errors';
import { downloadText, type InstalledTool, installTool, parseChecksums } from '@wasm-build/kit/install';
import type { Log } from '@wasm-build/kit/log';
import { manifestSha256, shippedToolsManifest, type ToolsManifest } from './tools-manifest.ts';

/** binaryen release this project pins by default (`version_N`); N as a string, e.g. "132": from tools-manifest.json. */
export const BINARYEN_DEFAULT_VERSION: string = shippedToolsManifest().tools.binaryen.version;
export const BINARYEN_RELEASES = 'https://github.com/WebAssembly/binaryen/releases/download';

export interface BinaryenRelease {
  /** Release number N of `version_N`, e.g. "132" ("version_132" is accepted too). */
  version: string;
  /** Where releases are: `<baseUrl>/version_N/binaryen-version_N-<arch>-linux.tar.gz` and `.sha256`. */
  baseUrl?: string;
  /** Node's `process.arch`; default the runner's. */
  arch?: string;
  /** Where pinned digests come from; default the shipped `tools-manifest.json`. */
  manifest?: ToolsManifest;
}

const ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64' };

/**
 * The archive URL, checksum URL and tool-cache version of a binaryen release for Linux.
 * @throws UserError for a version that is not a release number, or an architecture binaryen does not publish.
 * Source: github.com/WebAssembly/binaryen/releases (asset names `binaryen-version_N-x86_64-linux.tar.gz` + `.sha256`).
 */
export function binaryenAsset(r: BinaryenRelease): {
  url: string;
  sha256Url: string;
  fileName: string;
  semver: string;
  root: string;
} {
  const n = r.version.replace(/^version_/, '');
  if (!/^\d{1,6}$/.test(n)) {
    throw new UserError(`Invalid binaryen version "${r.version}": expected a release number such as 132`, {
      fix: 'Use the N of a binaryen release tag version_N',
    });
  }
  const arch = ARCH[r.arch ?? process.arch];
  if (!arch)
    throw new UserError(`binaryen publishes no Linux build for ${r.arch ?? process.arch}`, {
      fix: 'Use an x64 or arm64 runner, or pass wasm-opt',
    });
  const fileName = `binaryen-version_${n}-${arch}-linux.tar.gz`;
  const url = `${(r.baseUrl ?? BINARYEN_RELEASES).replace(/\/$/, '')}/version_${n}/${fileName}`;
  return { url, sha256Url: `${url}.sha256`, fileName, semver: `${n}.0.0`, root: `binaryen-version_${n}` };
}

/**
 * Installs binaryen from its official release through the tool cache (a second run downloads nothing), checked
 * against the sha256 `tools-manifest.json` pins for that version and archive, else the release's `.sha256`. Returns the path of `wasm-opt` and what `installTool` reports.
 * @throws UserError as `installTool` does (download failure, a checksum file answering an HTTP error, sha256
 *   mismatch with both digests, an archive tar cannot read).
 */
export async function installBinaryen(r: BinaryenRelease, log: Log): Promise<InstalledTool & { wasmOpt: string }> {
  const a = binaryenAsset(r);
  const pinned = manifestSha256('binaryen', a.semver.replace(/\.0\.0$/, ''), a.fileName, r.manifest);
  if (pinned) log.debug(`Binaryen.install: sha256 of ${a.fileName} from tools-manifest.json`);
  const installed = await installTool(
    {
      tool: 'binaryen',
      version: a.semver,
      url: a.url,
      sha256:
        pinned ??
        (async () =>
          parseChecksums(
            await downloadText(
              a.sha256Url,
              `the binaryen ${a.root.replace('binaryen-', '')} checksum file`,
              'Check that the binaryen release exists and that binaryen-base-url serves its .sha256 next to the archive',
            ),
            a.fileName,
            a.sha256Url,
          )),
      root: a.root,
      arch: r.arch,
    },
    log,
  );
  return { ...installed, wasmOpt: join(installed.dir, 'bin', 'wasm-opt') };
}
