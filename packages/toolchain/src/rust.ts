import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { type Command, exec, type Log, runOk, UserError } from '@wasm-build/kit';
import { type RustVersion, resolveTarget, type WasiTarget } from './targets.ts';

/**
 * How to call a Rust toolchain: through rustup's proxies with `+name` (`cargo +debian`), as plain binaries on PATH,
 * or from a directory holding `bin/cargo` and `bin/rustc` (a system toolchain such as Debian's `/usr`).
 */
export interface Toolchain {
  /** rustup toolchain name, directory, or undefined for whatever `cargo`/`rustc` are on PATH. */
  spec?: string;
  cargo: Command;
  rustc: Command;
  /** Environment for cargo so it uses this toolchain's rustc (directory toolchains). */
  env: Record<string, string>;
  version: RustVersion;
  /** Host triple, e.g. x86_64-unknown-linux-gnu. */
  host: string;
  /** Output of `rustc --print sysroot`. */
  sysroot: string;
}

/** Builds the base commands for cargo and rustc for a toolchain spec (see `Toolchain`). */
export function toolchainCommands(spec?: string): Pick<Toolchain, 'cargo' | 'rustc' | 'env'> {
  if (spec && isDirSpec(spec)) {
    const rustc = join(spec, 'bin', 'rustc');
    return {
      cargo: { command: join(spec, 'bin', 'cargo'), args: [] },
      rustc: { command: rustc, args: [] },
      env: { RUSTC: rustc },
    };
  }
  const plus = spec ? [`+${spec}`] : [];
  return { cargo: { command: 'cargo', args: plus }, rustc: { command: 'rustc', args: plus }, env: {} };
}

/** Parses `rustc -vV`: the `release:` and `host:` lines. Returns undefined when they are missing. */
export function parseRustcVerbose(text: string): { version: RustVersion; host: string } | undefined {
  const release = /^release:\s*(\d+)\.(\d+)\.(\d+)/m.exec(text);
  const host = /^host:\s*(\S+)/m.exec(text);
  if (!release || !host) return undefined;
  return { version: { major: +release[1], minor: +release[2], patch: +release[3] }, host: host[1] };
}

/**
 * Finds a Rust toolchain and reads its version, host and sysroot.
 * @throws UserError naming the toolchain and how to install it when rustc cannot run.
 */
export async function findToolchain(spec?: string): Promise<Toolchain> {
  const base = toolchainCommands(spec);
  const name = spec ? `"${spec}"` : 'on PATH';
  const fix = spec
    ? `Install it (rustup toolchain install ${spec}) or link one (rustup toolchain link ${spec} /usr)`
    : 'Install Rust (https://rustup.rs) or pass a toolchain';
  // Both rustc calls at once (each is a few hundred ms of dynamic loading); a failing -vV is reported first.
  const sysrootRun = runOk(
    { ...base.rustc, args: [...base.rustc.args, '--print', 'sysroot'] },
    'rustc --print sysroot',
  );
  sysrootRun.catch(() => {});
  const vv = await exec.run({ ...base.rustc, args: [...base.rustc.args, '-vV'] }).catch((e) => {
    throw new UserError(`Rust toolchain ${name} not found`, { fix, cause: e });
  });
  const parsed = vv.exitCode === 0 ? parseRustcVerbose(vv.stdout) : undefined;
  if (!parsed) {
    throw new UserError(`Rust toolchain ${name} did not run: ${(vv.stderr || vv.stdout).trim().split('\n')[0]}`, {
      fix,
    });
  }
  const sysroot = (await sysrootRun).stdout.trim();
  return { spec, ...base, ...parsed, sysroot };
}

const isDirSpec = (spec: string) => isAbsolute(spec) || spec.startsWith('.');
const HOST_ARCH = /^(x86_64|aarch64|i686|armv7|riscv64gc|s390x|powerpc64le|loongarch64)-/;

/** `rustup toolchain install NAME --profile minimal --no-self-update`, as data. */
export function rustupToolchainInstallCommand(name: string): Command {
  return { command: 'rustup', args: ['toolchain', 'install', name, '--profile', 'minimal', '--no-self-update'] };
}

/**
 * Whether `rustup toolchain list` shows `name`: exactly (`debian`, a linked toolchain) or with the host triple
 * rustup appends (`stable` → `stable-x86_64-unknown-linux-gnu`).
 */
export function toolchainListed(list: string, name: string): boolean {
  return list
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .some((n) => n === name || (n.startsWith(`${name}-`) && HOST_ARCH.test(n.slice(name.length + 1))));
}

/**
 * `findToolchain`, after installing a missing rustup toolchain with the minimal profile (rustup ≥ 1.28 no longer
 * installs one implicitly). A directory spec, or no spec, is used as it is.
 * @throws UserError as `findToolchain` does, or with rustup's last stderr line when the install fails.
 * Source: rustup book, "Basic usage" and "Profiles"; rustup 1.28 changelog (no implicit toolchain install).
 */
export async function ensureToolchain(spec: string | undefined, log: Log): Promise<Toolchain> {
  if (spec && !isDirSpec(spec)) {
    const list = await exec.run({ command: 'rustup', args: ['toolchain', 'list'] }).catch(() => undefined);
    if (list?.exitCode === 0 && !toolchainListed(list.stdout, spec)) {
      log.info(`Installing Rust toolchain ${spec} (minimal profile)`);
      await runOk(rustupToolchainInstallCommand(spec), `rustup toolchain install ${spec}`, {
        timeoutMs: 15 * 60_000,
        fix: 'Name a channel (stable, beta, nightly), a version (1.83) or a toolchain `rustup toolchain list` shows',
      });
    }
  }
  return findToolchain(spec);
}

/** True when the target's std is installed: `<sysroot>/lib/rustlib/<target>/lib` holds an rlib. */
export function hasTargetStd(sysroot: string, target: string): boolean {
  const dir = join(sysroot, 'lib', 'rustlib', target, 'lib');
  return existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.rlib'));
}

/** `rustup target add` for a toolchain, as data. */
export function rustupTargetAddCommand(target: string, toolchain?: string): Command {
  return { command: 'rustup', args: ['target', 'add', target, ...(toolchain ? ['--toolchain', toolchain] : [])] };
}

/**
 * Resolves the target for the toolchain and makes sure its std is installed: checks the sysroot first (linked and
 * system toolchains cannot `rustup target add`), and only then runs rustup.
 *
 * @throws UserError naming the toolchain, target and the command that fixes it when the std is missing and rustup
 *   cannot add it.
 */
export async function ensureTarget(
  tc: Toolchain,
  options: { threads?: boolean; target?: string },
  log: Log,
): Promise<WasiTarget> {
  const target = resolveTarget(tc.version, options);
  if (hasTargetStd(tc.sysroot, target)) {
    log.debug(`Toolchain.ensureTarget: std for ${target} found in ${tc.sysroot}`);
    return target;
  }
  const isDir = tc.spec && isDirSpec(tc.spec);
  const add = rustupTargetAddCommand(target, isDir ? undefined : tc.spec);
  const v = `${tc.version.major}.${tc.version.minor}.${tc.version.patch}`;
  const where = `toolchain ${tc.spec ?? 'on PATH'} (rustc ${v}, sysroot ${tc.sysroot})`;
  if (!isDir) {
    log.info(`Adding target ${target} to ${where}`);
    const r = await exec.run(add).catch(() => undefined);
    if (r?.exitCode === 0 && hasTargetStd(tc.sysroot, target)) return target;
  }
  const debianHint = target === 'wasm32-wasi' ? ' On Debian: apt-get install libstd-rust-dev-wasm32 lld.' : '';
  throw new UserError(`The std for target ${target} is not installed in ${where}`, {
    fix: `Run: rustup target add ${target}${isDir || !tc.spec ? '' : ` --toolchain ${tc.spec}`}.${debianHint}`,
  });
}
