import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, colorEnabled, exec, type Log, lastLines, UserError } from '@wasm-build/kit';
import {
  type CargoDiagnostic,
  diagnosticLine,
  lineSplitter,
  parseDiagnostics,
  stripAnsi,
} from './cargo-diagnostics.ts';
import type { Toolchain } from './rust.ts';

/** Annotations for diagnostics with a location (error or warning); the rest to the log as rustc rendered them. */
function reportDiagnostics(diagnostics: CargoDiagnostic[], log: Log): void {
  for (const d of diagnostics) {
    const text = d.rendered.trimEnd();
    if (d.file && (d.level === 'error' || d.level === 'warning')) {
      const at = { file: d.file, startLine: d.line, startColumn: d.column };
      if (d.level === 'error') log.error(stripAnsi(text), at);
      else log.warn(stripAnsi(text), at);
    } else if (text) log.info(text);
  }
}

export interface CargoBuildOptions {
  /** Path to Cargo.toml, or the crate directory holding it. */
  manifestPath: string;
  target: string;
  /** Cargo profile; default "release". */
  profile?: string;
  package?: string;
  bin?: string;
  features?: string[];
  allFeatures?: boolean;
  noDefaultFeatures?: boolean;
  /** Extra arguments appended as they are. */
  extraArgs?: string[];
  /** Colour in cargo's output and diagnostics; default: under GitHub Actions unless NO_COLOR, else `colorEnabled(stderr)`. */
  color?: boolean;
  /** Directory annotation paths are relative to; default GITHUB_WORKSPACE. */
  annotationRoot?: string;
}

export interface CargoBuildResult {
  /** Absolute path of the built module. */
  wasmPath: string;
  /** Name of the cargo target that produced it (the bin's name). */
  name: string;
  /** Cargo package id of the crate. */
  packageId: string;
  /** Build wall time, ms. */
  durationMs: number;
  command: Command;
}

/** Resolves a crate directory or a Cargo.toml path to an absolute Cargo.toml path. */
export function resolveManifestPath(path: string): string {
  const abs = resolve(path);
  const manifest = existsSync(abs) && statSync(abs).isDirectory() ? resolve(abs, 'Cargo.toml') : abs;
  if (!existsSync(manifest)) {
    throw new UserError(`Cargo manifest not found: "${path}" (looked for ${manifest})`, {
      fix: 'Pass the crate directory or its Cargo.toml',
    });
  }
  return manifest;
}

/**
 * The `cargo build` command, as data: JSON messages on stdout (artifacts, and each diagnostic with its spans and
 * rendered text: `json-diagnostic-rendered-ansi` when `color`, else `json`); cargo's own progress on stderr, in colour
 * (`CARGO_TERM_COLOR=always`) when `color`.
 * Source: The Cargo Book, "JSON Messages", `cargo build` options, and "Configuration: term.color".
 */
export function cargoBuildCommand(tc: Pick<Toolchain, 'cargo' | 'env'>, o: CargoBuildOptions): Command {
  const profile = o.profile ?? 'release';
  const args = [...tc.cargo.args, 'build'];
  args.push(...(profile === 'release' ? ['--release'] : profile === 'dev' ? [] : ['--profile', profile]));
  const format = o.color ? 'json-diagnostic-rendered-ansi' : 'json';
  args.push('--target', o.target, `--message-format=${format}`, '--manifest-path', o.manifestPath);
  if (o.package) args.push('--package', o.package);
  if (o.bin) args.push('--bin', o.bin);
  if (o.features?.length) args.push('--features', o.features.join(','));
  if (o.allFeatures) args.push('--all-features');
  if (o.noDefaultFeatures) args.push('--no-default-features');
  args.push(...(o.extraArgs ?? []));
  const env = o.color ? { ...tc.env, CARGO_TERM_COLOR: 'always' } : tc.env;
  return { command: tc.cargo.command, args, ...(env ? { env } : {}) };
}

interface CargoMessage {
  reason: string;
  package_id?: string;
  manifest_path?: string;
  target?: { name: string; kind: string[] };
  filenames?: string[];
  executable?: string | null;
  success?: boolean;
}

/** A `.wasm` artifact found in cargo's messages. */
export interface WasmArtifact {
  name: string;
  kind: string[];
  path: string;
  packageId: string;
  manifestPath?: string;
}

/**
 * Reads cargo's JSON messages (one per line; other lines ignored) and returns the `.wasm` files of
 * `compiler-artifact` messages for bin and cdylib targets, and whether `build-finished` reported success.
 * Source: The Cargo Book, "External tools — JSON messages".
 */
export function parseCargoMessages(stdout: string): { artifacts: WasmArtifact[]; success?: boolean } {
  const artifacts: WasmArtifact[] = [];
  let success: boolean | undefined;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    let msg: CargoMessage;
    try {
      msg = JSON.parse(line) as CargoMessage;
    } catch {
      continue;
    }
    if (msg.reason === 'build-finished') success = msg.success;
    if (msg.reason !== 'compiler-artifact' || !msg.target) continue;
    const kinds = msg.target.kind;
    if (!kinds.includes('bin') && !kinds.includes('cdylib')) continue;
    const files = [msg.executable, ...(msg.filenames ?? [])].filter((f): f is string => !!f && f.endsWith('.wasm'));
    const path = files[0];
    if (path) {
      artifacts.push({
        name: msg.target.name,
        kind: kinds,
        path,
        packageId: msg.package_id ?? '',
        manifestPath: msg.manifest_path,
      });
    }
  }
  return { artifacts, success };
}

/** Picks the one module to ship: the chosen bin, or the only artifact; errors list what there is. */
export function pickArtifact(
  artifacts: WasmArtifact[],
  o: Pick<CargoBuildOptions, 'bin' | 'manifestPath'>,
): WasmArtifact {
  const ofCrate = artifacts.filter((a) => !a.manifestPath || resolve(a.manifestPath) === resolve(o.manifestPath));
  const pool = ofCrate.length ? ofCrate : artifacts;
  const chosen = o.bin ? pool.filter((a) => a.name === o.bin) : pool;
  if (chosen.length === 1) return chosen[0];
  if (chosen.length === 0) {
    throw new UserError(`cargo built no .wasm binary${o.bin ? ` named "${o.bin}"` : ''} for ${o.manifestPath}`, {
      fix: pool.length
        ? `Choose one of: ${pool.map((a) => a.name).join(', ')}`
        : 'The crate needs a [[bin]] (src/main.rs) or a cdylib [lib] to produce a .wasm module',
    });
  }
  throw new UserError(
    `The crate builds several .wasm binaries: ${chosen
      .map((a) => a.name)
      .sort()
      .join(', ')}`,
    {
      fix: 'Choose one with the bin input (--bin NAME)',
    },
  );
}

/**
 * Runs `cargo build` for a WASI target. Cargo's progress (stderr) goes to the log line by line; each compiler
 * diagnostic with a location becomes an error or warning annotation on its file, line and column with rustc's
 * rendered text (the others go to the log as they are). The module path comes from cargo's `compiler-artifact`
 * messages (never guessed from the target dir).
 *
 * @throws UserError when the manifest is missing, compilation fails (with the first errors, each with its location),
 *   or the artifact is ambiguous or absent.
 */
export async function cargoBuild(tc: Toolchain, o: CargoBuildOptions, log: Log): Promise<CargoBuildResult> {
  const manifestPath = resolveManifestPath(o.manifestPath);
  // Actions' log renders ANSI colour; elsewhere NO_COLOR, FORCE_COLOR and the terminal decide (`colorEnabled`).
  const color =
    o.color ?? (colorEnabled(process.stderr) || (!process.env.NO_COLOR && process.env.GITHUB_ACTIONS === 'true'));
  const command = cargoBuildCommand(tc, { ...o, manifestPath, color });
  log.debug(`Cargo.build: ${[command.command, ...command.args].join(' ')}`);
  const lines = lineSplitter((line) => log.info(line));
  // Cargo's JSON messages (every artifact and diagnostic) must survive whole: keep far more than the default tail.
  const result = await exec.run(command, { onStderr: (chunk) => lines.push(chunk), maxOutputBytes: 64 << 20 });
  lines.flush();
  const diagnostics = parseDiagnostics(result.stdout, o.annotationRoot ?? process.env.GITHUB_WORKSPACE);
  reportDiagnostics(diagnostics, log);
  const { artifacts, success } = parseCargoMessages(result.stdout);
  if (result.exitCode !== 0 || success === false) {
    const errors = diagnostics
      .filter((d) => d.level === 'error' && d.file)
      .slice(0, 3)
      .map(diagnosticLine)
      .join(' | ');
    throw new UserError(
      `cargo build failed for ${manifestPath} (target ${o.target}, exit code ${result.exitCode}): ${errors || lastLines(result.stderr, 3)}`,
      { fix: 'Fix the errors above; run the same cargo build locally to see every diagnostic' },
    );
  }
  const artifact = pickArtifact(artifacts, { ...o, manifestPath });
  return {
    wasmPath: artifact.path,
    name: artifact.name,
    packageId: artifact.packageId,
    durationMs: result.durationMs,
    command,
  };
}
