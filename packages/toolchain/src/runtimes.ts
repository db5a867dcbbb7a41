import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Command,
  download,
  formatCommand,
  type InstalledTool,
  type Log,
  runOk,
  sha256File,
  UserError,
} from '@wasm-build/kit';
import { lineSplitter } from './cargo-diagnostics.ts';
import { installReleaseAsset, resolveReleaseAsset } from './github-release.ts';
import { manifestSha256, shippedToolsManifest, type ToolsManifest } from './tools-manifest.ts';

/** Runtime releases installed when none is given or on PATH: from tools-manifest.json (scripts/refresh-tools.ts). */
export const WASMEDGE_DEFAULT_VERSION: string = shippedToolsManifest().tools.wasmedge.version;
export const WASMTIME_DEFAULT_VERSION: string = shippedToolsManifest().tools.wasmtime.version;
export const CRUN_DEFAULT_VERSION: string = shippedToolsManifest().tools.crun.version;

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
 * Installs WasmEdge from its release (`WasmEdge-V-manylinux_2_28_<arch>.tar.gz`), checked against a pinned sha256:
 * `o.sha256`, else the one `tools-manifest.json` ships for that version, else the digest the releases API reports.
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
      sha256: o.sha256 ?? manifestSha256('wasmedge', o.version, `WasmEdge-${o.version}-manylinux_2_28_${arch}.tar.gz`),
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
 * against `o.sha256`, else the sha256 `tools-manifest.json` ships for that version, else the API's digest. Returns the path of `wasmtime`.
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
      sha256: o.sha256 ?? manifestSha256('wasmtime', o.version, `${folder}.tar.xz`),
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
 * Where a crun built against one WasmEdge release is kept. The tool cache goes through `semver.clean`, which drops
 * build metadata (`1.27.1+wasmedge.0.17.1` → `1.27.1`), so the WasmEdge version is part of the tool name instead:
 * `crun-wasmedge-0.17.1` at version `1.27.1`. `cacheKey` is the `@actions/cache` key across jobs and runs: crun
 * version, WasmEdge version, OS and arch.
 * Source: @actions/tool-cache `find`/`cacheDir` (semver.clean of the version); semver.org §10 (build metadata is
 * ignored in precedence).
 */
export function crunCacheKey(o: { version: string; wasmedgeVersion: string; platform?: string; arch?: string }): {
  tool: string;
  version: string;
  cacheKey: string;
} {
  const platform = o.platform ?? process.platform;
  const arch = o.arch ?? process.arch;
  return {
    tool: `crun-wasmedge-${o.wasmedgeVersion}`,
    version: o.version,
    cacheKey: `wasm-build-crun-${o.version}-wasmedge-${o.wasmedgeVersion}-${platform}-${arch}`,
  };
}

// @actions/tool-cache and @actions/cache (with @azure/storage-blob, about 1 MB of JavaScript) are imported where they
// are used: a CLI job that needs no crun build never loads them.
const toolCache = () => import('@actions/tool-cache');
const actionsCacheModule = () => import('@actions/cache');

/** The tool-cache directory of a crun built for this crun and WasmEdge version, if one is there. */
export async function findCachedCrun(o: {
  version: string;
  wasmedgeVersion: string;
  arch?: string;
}): Promise<string | undefined> {
  const k = crunCacheKey(o);
  return (await toolCache()).find(k.tool, k.version, o.arch) || undefined;
}

/** The `@actions/cache` calls `buildCrunWithWasmEdge` makes; replaced in tests. */
export interface CrunActionsCache {
  /** False when the runner has no cache service (outside Actions, GHES without it). */
  isAvailable(): boolean | Promise<boolean>;
  /** Restores `paths` saved under `key`; true on a hit. */
  restore(paths: string[], key: string): Promise<boolean>;
  save(paths: string[], key: string): Promise<void>;
}

/** `@actions/cache` (the service GitHub's runners provide). */
export const actionsCache: CrunActionsCache = {
  isAvailable: async () => (await actionsCacheModule()).isFeatureAvailable(),
  restore: async (paths, key) => (await (await actionsCacheModule()).restoreCache(paths, key)) !== undefined,
  save: async (paths, key) => {
    await (await actionsCacheModule()).saveCache(paths, key);
  },
};

/**
 * A build command run with its stdout sent to stderr (`sh -c 'exec "$@" 1>&2'`), so `onStderr` sees every line as
 * it is written: exec.run streams only stderr.
 */
export function streamedCommand(cmd: Command): Command {
  return { ...cmd, command: 'sh', args: ['-c', 'exec "$@" 1>&2', 'sh', cmd.command, ...cmd.args] };
}

/**
 * Builds crun `--with-wasmedge` from its release tarball (sha256 from the releases API), streaming apt, configure
 * and make line by line in a log group. The result is kept in the tool cache (`crunCacheKey`: a crun built for
 * WasmEdge 0.16 is never found for 0.17) and in `@actions/cache` across jobs and runs, keyed by crun version,
 * WasmEdge version, OS and arch; without a cache service that is skipped with a notice. A second run builds nothing.
 * Returns the path of `crun` and where it came from.
 * @throws UserError from the download, the digest check, or a build command (command, exit code, last lines).
 *   A failing cache restore or save is only reported: the build goes on.
 * Source: containers/crun README ("Build", `--with-wasmedge`); @actions/cache README (restoreCache, saveCache,
 * isFeatureAvailable).
 */
export async function buildCrunWithWasmEdge(
  o: {
    version: string;
    wasmedge: WasmEdgeInstall & { version: string };
    sudo: boolean;
    /** default `actionsCache` */
    cache?: CrunActionsCache;
    /** Where a pinned tarball digest comes from; default the shipped `tools-manifest.json`. */
    manifest?: ToolsManifest;
  },
  log: Log,
): Promise<{ crun: string; cached: boolean; from: 'tool-cache' | 'actions-cache' | 'build' }> {
  const key = crunCacheKey({ version: o.version, wasmedgeVersion: o.wasmedge.version });
  const hit = await findCachedCrun({ version: o.version, wasmedgeVersion: o.wasmedge.version });
  if (hit) return { crun: join(hit, 'bin', 'crun'), cached: true, from: 'tool-cache' };
  const actions = o.cache ?? actionsCache;
  const available = await actions.isAvailable();
  // A fixed path: @actions/cache versions an entry by its paths, so restore must name the path save named.
  const staging = join(process.env.RUNNER_TEMP || tmpdir(), 'wasm-build-crun', key.cacheKey);
  if (!available) {
    log.info(`Notice: no Actions cache service here: crun ${o.version} is built and kept in the tool cache only`);
  } else {
    try {
      if (await actions.restore([staging], key.cacheKey)) {
        const dir = await (await toolCache()).cacheDir(staging, key.tool, key.version);
        rmSync(staging, { recursive: true, force: true });
        log.info(
          `crun ${o.version} with WasmEdge ${o.wasmedge.version} restored from the Actions cache (${key.cacheKey})`,
        );
        return { crun: join(dir, 'bin', 'crun'), cached: true, from: 'actions-cache' };
      }
    } catch (e) {
      log.warn(`Restoring crun from the Actions cache (${key.cacheKey}) failed, building it: ${String(e)}`);
    }
  }
  const asset = await resolveReleaseAsset({
    tool: 'crun',
    version: o.version,
    repo: 'containers/crun',
    tag: o.version,
    asset: `crun-${o.version}.tar.gz`,
    // A digest we ship wins over the API's (tools-manifest.json); without one the API is asked.
    sha256: manifestSha256('crun', o.version, `crun-${o.version}.tar.gz`, o.manifest),
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
    const commands = crunBuildCommands({
      version: o.version,
      tarball,
      workDir,
      prefix,
      wasmedge: o.wasmedge,
      sudo: o.sudo,
    });
    await log.group(`Build crun ${o.version} --with-wasmedge (WasmEdge ${o.wasmedge.version})`, async () => {
      for (const cmd of commands) {
        log.info(`$ ${formatCommand(cmd)}`);
        const lines = lineSplitter((line) => log.info(line));
        try {
          await runOk(streamedCommand(cmd), `crun build (${cmd.command} ${cmd.args[0] ?? ''})`, {
            fix: 'See the build output above',
            onStderr: (chunk) => lines.push(chunk),
          });
        } finally {
          lines.flush();
        }
      }
    });
    const dir = await (await toolCache()).cacheDir(prefix, key.tool, key.version);
    log.info(`crun ${o.version} with WasmEdge ${o.wasmedge.version} built and cached in ${dir}`);
    if (available) {
      try {
        rmSync(staging, { recursive: true, force: true });
        cpSync(prefix, staging, { recursive: true });
        await actions.save([staging], key.cacheKey);
        log.info(`crun saved to the Actions cache as ${key.cacheKey}`);
      } catch (e) {
        log.warn(`Saving crun to the Actions cache (${key.cacheKey}) failed: ${String(e)}`);
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
    }
    return { crun: join(dir, 'bin', 'crun'), cached: false, from: 'build' };
  } finally {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    rmSync(tarball, { force: true });
  }
}
