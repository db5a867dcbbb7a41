import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '@wasm-build/kit';
import { type ImageRef, parseImageRef } from '@wasm-build/oci';
import type { z } from 'zod';
import {
  type PipelineOptions,
  pipelineOptionsSchema,
  TIMEOUT_MAX_MS,
  type VerifyOptions,
  verifySchema,
} from './options.ts';

export const USAGE = `Usage:
  wasm-build [options] <crate-dir | Cargo.toml>     build, optimize, verify, image, push, smoke-test
  wasm-build promote --image REPO@DIGEST --module-sha256 HEX --entrypoint /NAME.wasm --tag TAG [--tag TAG]
                    [--insecure] [--username USER]    read the pushed image back, prove it, then write the tags
  wasm-build verify [--require F] [--forbid F] [--max-size BYTES] [--entrypoint /NAME.wasm] [--target TRIPLE]
                    [--json] <module.wasm>

Setup and build:
  --toolchain NAME|DIR   rustup toolchain (stable, 1.83, debian) or a directory with bin/cargo (/usr)
  --target TRIPLE        wasm32-wasip1, wasm32-wasip1-threads, wasm32-wasi, ... (default: by rustc version)
  --threads              build for the threads target; verify fails if the output has no shared memory
  -p, --package NAME     --bin NAME     --features A,B     --profile NAME (default release)
Optimize:
  --no-optimize          --wasm-opt PATH     --opt-level 0|1|2|3|4|s|z (default z)     --wasm-opt-arg ARG
                         (passes, levels, features: no argument may name a file or a command)
Verify:
  --require F,G          --forbid F,G        --max-size BYTES (at most 4294967296)
Image and push:
  --image REF            push to REF (registry/repo[:tag]); without it the image is only written as a layout
  --local-registry       start a registry on 127.0.0.1 for this run and push there (REF defaults to wasm-build/<crate>)
  --layout DIR           --annotation K=V    --label K=V     --insecure      --tag TAG (more tags)
  --backend auto|buildx|oras|skopeo          push tool (auto: buildx >= 0.12, else oras, else skopeo on PATH)
  --no-tag               push by digest only and write no tag (tag it later with wasm-build promote)
  --username USER        with the password in WASM_BUILD_PASSWORD (default: the docker config's login)
Smoke test:
  --no-smoke             --arg ARG           --env K=V       --expect-stdout TEXT
  --expect-stdout-regex  read --expect-stdout as an RE2 regular expression (linear time; no backreferences)
  --expect-exit-code N   0 to 255 (default 0)
  --timeout MS           1 to ${TIMEOUT_MAX_MS} (6 hours; default 30000)
  --preopen HOST[:GUEST] an existing directory for the module (GUEST default /data); /, HOME, the workspace,
                         RUNNER_TEMP and their parents are refused without --preopen-allow-root
  --runtime R            node (default), wasmedge, crun-wasmedge, wasmtime; repeat or comma-separate
  --allow-incompatible R a runtime whose known incompatibility does not fail the run
Other:
  --work-dir DIR (default .wasm-build)       --json (print the result as JSON)     --verbose     -h, --help
  -V, --version          wasm-build's version and the versions of the tools it would use`;

const FLAG_OF: Record<string, string> = {
  manifestPath: '<crate-dir>',
  optLevel: '--opt-level',
  maxSize: '--max-size',
  expectExitCode: '--expect-exit-code',
  timeoutMs: '--timeout',
  wasmOpt: '--wasm-opt',
  wasmOptArgs: '--wasm-opt-arg',
  smokeArgs: '--arg',
  smokeEnv: '--env',
  workDir: '--work-dir',
  layoutDir: '--layout',
  tags: '--tag',
  runtimes: '--runtime',
  password: 'WASM_BUILD_PASSWORD',
};

/** Names the flag behind a schema path, e.g. ["maxSize"] → "--max-size". */
export function flagName(path: PropertyKey[]): string {
  const key = String(path[0]);
  return FLAG_OF[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Turns the first zod issue into a UserError naming the flag and the value. */
export function optionError(error: z.ZodError, raw: Record<string, unknown>): UserError {
  const issue = error.issues[0];
  const key = String(issue.path[0]);
  const value = raw[key];
  const shown = Array.isArray(value) && typeof issue.path[1] === 'number' ? value[issue.path[1]] : value;
  return new UserError(`Invalid ${flagName(issue.path)} ${JSON.stringify(shown)}: ${issue.message}`, {
    fix: 'See wasm-build --help',
  });
}

const list = (v: string[] | undefined) =>
  (v ?? [])
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean);

function toNumber(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v.trim()))
    throw new UserError(`Invalid ${flag} "${v}": expected a whole number`, { fix: 'See wasm-build --help' });
  if (v.trim().replace(/^-/, '').length > 15)
    throw new UserError(`Invalid ${flag} "${v}": expected a whole number (at most 15 digits)`, {
      fix: 'See wasm-build --help',
    });
  return Number(v);
}

/** `wasm-build promote`: the image pushed by digest, what its read-back must prove, and the tags to write. */
export interface PromoteCommand {
  ref: ImageRef;
  digest: string;
  wasmSha256: string;
  entrypoint: string;
  tags: string[];
  insecure?: boolean;
  username?: string;
  password?: string;
}

export interface CliCommand {
  kind: 'pipeline' | 'verify' | 'promote' | 'help' | 'version';
  options?: PipelineOptions;
  /** `--no-tag`: push by digest only. */
  noTag?: boolean;
  promote?: PromoteCommand;
  verify?: VerifyOptions;
  localRegistry?: boolean;
  file?: string;
  json: boolean;
  verbose: boolean;
}

/**
 * Parses the CLI's argv into a command with validated options: every value against its bounds (see USAGE), the
 * pairs `checkOptionPairs` checks (an RE2 --expect-stdout, an existing --preopen that is no runner root) and the
 * wasm-opt arguments, so that nothing bad reaches a stage.
 * @throws UserError naming the flag and the bad value, before any work.
 */
export function parseCli(argv: string[]): CliCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    throw new UserError((e as Error).message, { fix: 'See wasm-build --help' });
  }
  const { values: v, positionals } = parsed;
  const json = !!v.json;
  const verbose = !!v.verbose;
  if (v.help) return { kind: 'help', json, verbose };
  if (v.version) return { kind: 'version', json, verbose };
  if (positionals[0] === 'verify') {
    if (positionals.length !== 2)
      throw new UserError('wasm-build verify takes one module path', { fix: 'wasm-build verify path/to/module.wasm' });
    const raw = {
      require: list(v.require),
      forbid: list(v.forbid),
      maxSize: toNumber('--max-size', v['max-size']),
      entrypoint: v.entrypoint,
      target: v.target,
    };
    const r = verifySchema.safeParse(raw);
    if (!r.success) throw optionError(r.error, raw);
    return { kind: 'verify', file: positionals[1], verify: r.data, json, verbose };
  }
  if (positionals[0] === 'promote') return { kind: 'promote', promote: promoteCommand(v, positionals), json, verbose };
  if (positionals.length !== 1) {
    throw new UserError(
      positionals.length ? `Expected one crate, got ${positionals.length}: ${positionals.join(' ')}` : 'No crate given',
      {
        fix: 'wasm-build [options] path/to/crate',
      },
    );
  }
  const manifestPath = positionals[0];
  let image = v.image;
  if (v['local-registry'] && !image)
    image = `wasm-build/${basename(resolve(manifestPath))
      .replace(/\.toml$/i, '')
      .toLowerCase()}:latest`;
  const raw: Record<string, unknown> = {
    manifestPath,
    toolchain: v.toolchain,
    target: v.target,
    threads: v.threads,
    package: v.package,
    bin: v.bin,
    features: list(v.features),
    profile: v.profile,
    optimize: !v['no-optimize'],
    wasmOpt: v['wasm-opt'],
    optLevel: v['opt-level'],
    wasmOptArgs: v['wasm-opt-arg'] ?? [],
    require: list(v.require),
    forbid: list(v.forbid),
    maxSize: toNumber('--max-size', v['max-size']),
    image,
    layoutDir: v.layout,
    annotations: v.annotation ?? [],
    labels: v.label ?? [],
    insecure: v.insecure,
    backend: v.backend,
    tags: list(v.tag),
    username: v.username,
    password: v.username ? process.env.WASM_BUILD_PASSWORD : undefined,
    smoke: !v['no-smoke'],
    runtimes: v.runtime ? list(v.runtime) : undefined,
    allowIncompatible: list(v['allow-incompatible']),
    preopen: v.preopen,
    preopenAllowRoot: v['preopen-allow-root'],
    expectStdoutRegex: v['expect-stdout-regex'],
    smokeArgs: v.arg ?? [],
    smokeEnv: v.env ?? [],
    expectStdout: v['expect-stdout'],
    expectExitCode: toNumber('--expect-exit-code', v['expect-exit-code']),
    timeoutMs: toNumber('--timeout', v.timeout),
    workDir: v['work-dir'],
  };
  const r = pipelineOptionsSchema.safeParse(raw);
  if (!r.success) throw optionError(r.error, raw);
  return {
    kind: 'pipeline',
    options: r.data,
    noTag: !!v['no-tag'],
    localRegistry: !!v['local-registry'],
    json,
    verbose,
  };
}

const SHA256_HEX = /^(?:sha256:)?([0-9a-f]{64})$/;

/** `wasm-build promote`'s flags, checked before any request. @throws UserError naming the flag and the value. */
function promoteCommand(v: ReturnType<typeof parse>['values'], positionals: string[]): PromoteCommand {
  const fix = 'wasm-build promote --image REPO@sha256:... --module-sha256 HEX --entrypoint /NAME.wasm --tag TAG';
  if (positionals.length !== 1) throw new UserError(`Unexpected ${JSON.stringify(positionals[1])}`, { fix });
  if (!v.image) throw new UserError('wasm-build promote needs --image REPO@DIGEST', { fix });
  const ref = parseImageRef(v.image);
  if (!ref.digest)
    throw new UserError(`Invalid --image ${JSON.stringify(v.image)}: promote takes a reference pinned by digest`, {
      fix: 'Pass the image-ref output of the push (registry/repository@sha256:...)',
    });
  const wasm = SHA256_HEX.exec(v['module-sha256'] ?? '');
  if (!wasm)
    throw new UserError(`Invalid --module-sha256 ${JSON.stringify(v['module-sha256'] ?? '')}: expected 64 hex digits`, {
      fix,
    });
  const entrypoint = v.entrypoint ?? '';
  if (!/^\/[\w.-]+\.wasm$/.test(entrypoint))
    throw new UserError(`Invalid --entrypoint ${JSON.stringify(entrypoint)}: expected /NAME.wasm`, { fix });
  const tags = list(v.tag);
  if (!tags.length) throw new UserError('wasm-build promote needs at least one --tag', { fix });
  return {
    ref,
    digest: ref.digest,
    wasmSha256: `sha256:${wasm[1]}`,
    entrypoint,
    tags: [...new Set(tags)],
    // Unset rather than false: a loopback registry is then spoken to over plain HTTP, as the push does.
    insecure: v.insecure ? true : undefined,
    username: v.username,
    password: v.username ? process.env.WASM_BUILD_PASSWORD : undefined,
  };
}

function parse(argv: string[]) {
  const s = { type: 'string' } as const;
  const m = { type: 'string', multiple: true } as const;
  const b = { type: 'boolean' } as const;
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      toolchain: s,
      target: s,
      threads: b,
      package: { ...s, short: 'p' },
      bin: s,
      features: m,
      profile: s,
      'no-optimize': b,
      'wasm-opt': s,
      'opt-level': s,
      'wasm-opt-arg': m,
      require: m,
      forbid: m,
      'max-size': s,
      entrypoint: s,
      image: s,
      'local-registry': b,
      layout: s,
      annotation: m,
      label: m,
      insecure: b,
      backend: s,
      tag: m,
      'no-tag': b,
      'module-sha256': s,
      username: s,
      'no-smoke': b,
      runtime: m,
      'allow-incompatible': m,
      preopen: s,
      'preopen-allow-root': b,
      'expect-stdout-regex': b,
      arg: m,
      env: m,
      'expect-stdout': s,
      'expect-exit-code': s,
      timeout: s,
      'work-dir': s,
      json: b,
      verbose: b,
      help: { ...b, short: 'h' },
      version: { ...b, short: 'V' },
    },
  });
}
