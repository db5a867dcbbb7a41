import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tc from '@actions/tool-cache';
import { type Command, download, type InstalledTool, type Log, runOk, sha256File, UserError } from '@wasm-build/kit';
import { installReleaseAsset, resolveReleaseAsset } from './github-release.ts';

/** Runtime releases installed when none is given or on PATH. */
export const WASMEDGE_DEFAULT_VERSION = '0.17.1';
export const WASMTIME_DEFAULT_VERSION = '36.0.0';
export const CRUN_DEFAULT_VERSION = '1.27.1';

const WASMEDGE_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64' };

/** A WasmEdge installed in the tool cache: the CLI, and the directory of libwasmedge for LD_LIBRARY_PATH. */
export interface WasmEdgeInstall extends InstalledTool {
  wasmedge: string;
  libDir: string;
  includeDir: string;
}

/**
 * The archive's WasmEdge root: before 0.15 the tarball has a top folder `WasmEdge-V-Linux/`, from 0.15 on none.
 * Source: the release tarballs of WasmEdge/WasmEdge (checked in shared/DESIGN.md).
 */
export function wasmedgeRoot(extracted: string): string {
  const top = readdirSync(extracted).find((d) => /^WasmEdge-.*-Linux$/.test(d));
  return top ? join(extracted, top) : extracted;
}

/** `lib64/` or `lib/`, whichever the install has (the layout changed across releases). */
export function wasmedgeLibDir(dir: string): string {
  return existsSync(join(dir, 'lib64')) ? join(dir, 'lib64') : join(dir, 'lib');
}

/**
 * Installs WasmEdge from its release (`WasmEdge-V-manylinux_2_28_<arch>.tar.gz`), checked against the digest the
 * releases API reports or a pinned sha256.
 * @throws UserError for an architecture WasmEdge does not publish, and from installReleaseAsset.
 */
export async function installWasmEdge(
  o: { version: string; sha256?: string; arch?: string /** for the releases API */; token?: string },
  log: Log,
): Promise<WasmEdgeInstall> {
  const arch = WASMEDGE_ARCH[o.arch ?? process.arch];
  if (!arch)
    throw new UserError(`WasmEdge publishes no Linux build for ${o.arch ?? process.arch}`, {
      fix: 'Use an x64 or arm64 runner',
    });
  const installed = await installReleaseAsset(
    {
      tool: 'wasmedge',
      version: o.version,
      repo: 'WasmEdge/WasmEdge',
      tag: o.version,
      asset: `WasmEdge-${o.version}-manylinux_2_28_${arch}.tar.gz`,
      sha256: o.sha256,
      token: o.token,
      root: wasmedgeRoot,
      arch: o.arch,
    },
    log,
  );
  return {
    ...installed,
    wasmedge: join(installed.dir, 'bin', 'wasmedge'),
    libDir: wasmedgeLibDir(installed.dir),
    includeDir: join(installed.dir, 'include'),
  };
}

/**
 * Installs wasmtime from its release (`wasmtime-vV-<arch>-linux.tar.xz`, top folder of the same name), checked
 * against the API's digest or a pinned sha256. Returns the path of `wasmtime`.
 */
export async function installWasmtime(
  o: { version: string; sha256?: string; arch?: string /** for the releases API */; token?: string },
  log: Log,
): Promise<InstalledTool & { wasmtime: string }> {
  const arch = WASMEDGE_ARCH[o.arch ?? process.arch];
  if (!arch)
    throw new UserError(`wasmtime publishes no Linux build for ${o.arch ?? process.arch}`, {
      fix: 'Use an x64 or arm64 runner',
    });
  const folder = `wasmtime-v${o.version}-${arch}-linux`;
  const installed = await installReleaseAsset(
    {
      tool: 'wasmtime',
      version: o.version,
      repo: 'bytecodealliance/wasmtime',
      tag: `v${o.version}`,
      asset: `${folder}.tar.xz`,
      sha256: o.sha256,
      token: o.token,
      root: folder,
      tarFlags: 'xJ',
      arch: o.arch,
    },
    log,
  );
  return { ...installed, wasmtime: join(installed.dir, 'wasmtime') };
}

/** Debian/Ubuntu packages crun's build needs (crun README, "Build"), plus what WasmEdge's handler links. */
export const CRUN_BUILD_PACKAGES = [
  'make',
  'gcc',
  'pkg-config',
  'libsystemd-dev',
  'libcap-dev',
  'libseccomp-dev',
  'libyajl-dev',
  'python3',
  'autoconf',
  'automake',
  'libtool',
];

/**
 * The commands that build crun `--with-wasmedge` from its release tarball (`crun-V.tar.gz`, already configured
 * upstream) against a WasmEdge install, into `prefix`: unpack, configure with WasmEdge's include and lib dirs,
 * make, make install. `sudo` prefixes the apt step when the runner is not root.
 * Source: containers/crun README ("Build", `--with-wasmedge`), crun's configure.ac (`--with-wasmedge`).
 */
export function crunBuildCommands(o: {
  version: string;
  tarball: string;
  workDir: string;
  prefix: string;
  wasmedge: { includeDir: string; libDir: string };
  sudo: boolean;
}): Command[] {
  const src = join(o.workDir, `crun-${o.version}`);
  const apt = (args: string[]): Command =>
    o.sudo ? { command: 'sudo', args: ['apt-get', ...args] } : { command: 'apt-get', args };
  const env = {
    CFLAGS: `-I${o.wasmedge.includeDir}`,
    LDFLAGS: `-L${o.wasmedge.libDir} -Wl,-rpath,${o.wasmedge.libDir}`,
  };
  return [
    apt(['install', '-y', '--no-install-recommends', ...CRUN_BUILD_PACKAGES]),
    { command: 'tar', args: ['-xzf', o.tarball, '-C', o.workDir] },
    { command: './configure', args: ['--with-wasmedge', `--prefix=${o.prefix}`], cwd: src, env },
    { command: 'make', args: ['-j4'], cwd: src, env },
    { command: 'make', args: ['install'], cwd: src, env },
  ];
}

/** True when `crun --version` output shows the WasmEdge handler (`+WASM:wasmedge`). Source: crun's configure summary. */
export function crunHasWasmEdge(versionOutput: string): boolean {
  return /\+WASM:wasmedge\b/.test(versionOutput);
}

/**
 * Builds crun `--with-wasmedge` from its release tarball (sha256 from the releases API) and caches the result in the
 * tool cache under `crun-wasmedge`, keyed by both versions (`1.27.1+wasmedge.0.17.1`): a second run builds nothing.
 * Returns the path of `crun`.
 * @throws UserError from the download, the digest check, or a build command (command, exit code, last lines).
 * Source: containers/crun README ("Build", `--with-wasmedge`).
 */
export async function buildCrunWithWasmEdge(
  o: { version: string; wasmedge: WasmEdgeInstall & { version: string }; sudo: boolean },
  log: Log,
): Promise<{ crun: string; cached: boolean }> {
  const key = `${o.version}+wasmedge.${o.wasmedge.version}`;
  const hit = tc.find('crun-wasmedge', key);
  if (hit) return { crun: join(hit, 'bin', 'crun'), cached: true };
  const asset = await resolveReleaseAsset({
    tool: 'crun',
    version: o.version,
    repo: 'containers/crun',
    tag: o.version,
    asset: `crun-${o.version}.tar.gz`,
  });
  const tarball = await download(asset.url, `crun ${o.version}`);
  let workDir = '';
  try {
    workDir = mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), 'crun-build-'));
    const got = await sha256File(tarball);
    if (got !== asset.sha256) {
      throw new UserError(`sha256 mismatch for ${asset.url}: expected ${asset.sha256}, got ${got}`, {
        fix: 'Retry; nothing was cached',
      });
    }
    const prefix = join(workDir, 'prefix');
    for (const cmd of crunBuildCommands({
      version: o.version,
      tarball,
      workDir,
      prefix,
      wasmedge: o.wasmedge,
      sudo: o.sudo,
    }))
      await runOk(cmd, `crun build (${cmd.command} ${cmd.args[0] ?? ''})`, { fix: 'See the build output above' });
    const dir = await tc.cacheDir(prefix, 'crun-wasmedge', key);
    log.info(`crun ${o.version} with WasmEdge ${o.wasmedge.version} built and cached in ${dir}`);
    return { crun: join(dir, 'bin', 'crun'), cached: false };
  } finally {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    rmSync(tarball, { force: true });
  }
}
