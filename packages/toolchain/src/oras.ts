import { join } from 'node:path';
import { UserError } from '@wasm-build/kit/errors';
import { downloadText, type InstalledTool, installTool, parseChecksums } from '@wasm-build/kit/install';
import type { Log } from '@wasm-build/kit/log';
import { manifestSha256, shippedToolsManifest, type ToolsManifest } from './tools-manifest.ts';

/** oras release installed when none is on PATH: from tools-manifest.json. */
export const ORAS_DEFAULT_VERSION: string = shippedToolsManifest().tools.oras.version;
export const ORAS_RELEASES = 'https://github.com/oras-project/oras/releases/download';

export interface OrasRelease {
  /** Release version without the `v`, e.g. "1.3.0". */
  version: string;
  /** Where releases are: `<baseUrl>/vV/oras_V_linux_<arch>.tar.gz` and `oras_V_checksums.txt`. */
  baseUrl?: string;
  /** Node's `process.arch`; default the runner's. */
  arch?: string;
  /** Where pinned digests come from; default the shipped `tools-manifest.json`. */
  manifest?: ToolsManifest;
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

/**
 * The archive URL, checksums URL and file name of an oras release for Linux.
 * @throws UserError for a version that is not semver, or an architecture oras does not publish.
 * Source: github.com/oras-project/oras/releases (assets `oras_V_linux_amd64.tar.gz`, `oras_V_checksums.txt`);
 * oras-project/setup-oras (same asset names).
 */
export function orasAsset(r: OrasRelease): { url: string; checksumsUrl: string; fileName: string } {
  const v = r.version.replace(/^v/, '');
  if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(v)) {
    throw new UserError(`Invalid oras version "${r.version}": expected a release such as ${ORAS_DEFAULT_VERSION}`, {
      fix: 'Use a version from github.com/oras-project/oras/releases',
    });
  }
  const arch = ARCH[r.arch ?? process.arch];
  if (!arch) {
    throw new UserError(`oras publishes no Linux build for ${r.arch ?? process.arch}`, {
      fix: 'Use an x64 or arm64 runner, or set backend: builtin',
    });
  }
  const base = `${(r.baseUrl ?? ORAS_RELEASES).replace(/\/$/, '')}/v${v}`;
  const fileName = `oras_${v}_linux_${arch}.tar.gz`;
  return { url: `${base}/${fileName}`, checksumsUrl: `${base}/oras_${v}_checksums.txt`, fileName };
}

/**
 * Installs the oras CLI from its release through the tool cache, checked against the sha256 `tools-manifest.json`
 * pins for that version and archive, else the release's checksums file.
 * The archive holds `oras` at its root. Returns the path of `oras`.
 * @throws UserError as `installTool` does (download failure, a checksums file answering an HTTP error, sha256
 *   mismatch with both digests, an archive tar cannot read).
 */
export async function installOras(r: OrasRelease, log: Log): Promise<InstalledTool & { oras: string }> {
  const a = orasAsset(r);
  const pinned = manifestSha256('oras', r.version, a.fileName, r.manifest);
  if (pinned) log.debug(`Oras.install: sha256 of ${a.fileName} from tools-manifest.json`);
  const installed = await installTool(
    {
      tool: 'oras',
      version: r.version.replace(/^v/, ''),
      url: a.url,
      sha256:
        pinned ??
        (async () =>
          parseChecksums(
            await downloadText(
              a.checksumsUrl,
              `the oras ${r.version.replace(/^v/, '')} checksums file`,
              'Check that the oras release exists and publishes its checksums file (a mirror must serve it too)',
            ),
            a.fileName,
            a.checksumsUrl,
          )),
      arch: r.arch,
    },
    log,
  );
  return { ...installed, oras: join(installed.dir, 'oras') };
}
