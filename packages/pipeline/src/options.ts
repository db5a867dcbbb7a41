import { realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, posix, resolve } from 'node:path';
// Each import names its module, not a package's index: `wasm-build --help` and `verify` load this file (cli-args.ts).
import { UserError } from '@wasm-build/kit/errors';
import { pathProblem } from '@wasm-build/kit/inputs';
import { PUSH_BACKENDS } from '@wasm-build/oci/push-types';
import { formatImageRef, type ImageRef, parseImageRef, sameRepository } from '@wasm-build/oci/reference';
import { SMOKE_RUNTIMES, type SmokeExpectations } from '@wasm-build/smoke/types';
import { BINARYEN_DEFAULT_VERSION, BINARYEN_RELEASES } from '@wasm-build/toolchain/binaryen';
import { ORAS_DEFAULT_VERSION } from '@wasm-build/toolchain/oras';
import { WASI_TARGETS } from '@wasm-build/toolchain/targets';
import { OPT_LEVELS, wasmOptArgsProblem } from '@wasm-build/toolchain/wasm-opt';
import { FEATURES } from '@wasm-build/wasm/report';
import * as z from 'zod';
import { parsePreopen } from './preopen.ts';
import { Re2RegExp, re2Problem } from './re2-regexp.ts';
import { MAX_SIZE_LIMIT } from './verify-options.ts';

/** Longest smoke-test timeout, ms: 6 hours, GitHub's job limit (Node's timers overflow past 2^31-1 ms, 24.8 days). */
export const TIMEOUT_MAX_MS = 21_600_000;
export { MAX_SIZE_LIMIT } from './verify-options.ts';
/** Longest expect-stdout, characters. */
export const EXPECT_STDOUT_MAX = 65_536;

/** A path given as input, refused before any work when Linux could not use it (see kit's `pathProblem`). */
export const pathString = (): z.ZodString =>
  z
    .string()
    .min(1)
    .superRefine((v, ctx) => {
      const problem = pathProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

/** A file name given as input (a cargo binary, a module name): no `/`, short enough to take `.wasm` within NAME_MAX. */
export const fileName = (what: string): z.ZodString =>
  z
    .string()
    .min(1)
    .refine((v) => !v.includes('/') && !v.includes('\0'), `expected ${what} without "/"`)
    .refine((v) => Buffer.byteLength(v) <= 250, `expected ${what} of at most 250 bytes`);

const keyValue = z.string().regex(/^[^=\s]+=.*$/s, 'expected KEY=value');

/**
 * The pipeline's options, one schema for every front door (CLI flags, action inputs), each value within stated
 * bounds (durations, sizes, exit codes, path lengths, wasm-opt arguments). Left without refinements so that each
 * front door can `pick` and `extend` it; parse with `pipelineOptionsSchema` (or add `checkOptionPairs` last), so
 * that a bad value, or a bad pair, fails before any work with the option's name.
 */
export const pipelineSchema = z.object({
  /** Crate directory or Cargo.toml. */
  manifestPath: pathString(),
  /** rustup toolchain name (`stable`, `1.83`, `debian`) or a directory with bin/cargo (`/usr`). */
  toolchain: pathString().optional(),
  target: z.enum(WASI_TARGETS).optional(),
  threads: z.boolean().default(false),
  package: z.string().min(1).max(255, 'expected a package spec of at most 255 characters').optional(),
  bin: fileName('a binary name').optional(),
  features: z.array(z.string().min(1)).default([]),
  profile: z
    .string()
    .regex(/^[a-z0-9_-]+$/, 'expected a cargo profile name')
    .default('release'),
  optimize: z.boolean().default(true),
  wasmOpt: pathString().optional(),
  optLevel: z.enum(OPT_LEVELS).default('z'),
  /** Extra wasm-opt arguments; none may name a file or a command (`wasmOptArgsProblem`). */
  wasmOptArgs: z
    .array(z.string())
    .default([])
    .superRefine((args, ctx) => {
      const problem = wasmOptArgsProblem(args);
      if (problem) {
        ctx.addIssue({
          code: 'custom',
          path: [problem.index],
          message: `${problem.why}; wasm-build chooses wasm-opt's input and output, and no argument may name a file or a command`,
        });
      }
    }),
  require: z.array(z.enum(FEATURES)).default([]),
  forbid: z.array(z.enum(FEATURES)).default([]),
  /** Largest acceptable module, bytes: 1 to 4 GiB. */
  maxSize: z
    .number()
    .int()
    .positive()
    .max(MAX_SIZE_LIMIT, `expected at most ${MAX_SIZE_LIMIT} bytes (4 GiB)`)
    .optional(),
  /** Image reference to push to; no push without it. */
  image: z
    .string()
    .min(1)
    .optional()
    .superRefine((v, ctx) => {
      if (v === undefined) return;
      try {
        parseImageRef(v);
      } catch (e) {
        ctx.addIssue({
          code: 'custom',
          message: (e as Error).message.replace(/^Invalid image reference "[^"]*": /, ''),
        });
      }
    }),
  /** Where the OCI layout is written; default `<workDir>/oci-layout`. */
  layoutDir: pathString().optional(),
  annotations: z.array(keyValue).default([]),
  labels: z.array(keyValue).default([]),
  insecure: z.boolean().optional(),
  /** How to push: auto (buildx ≥ 0.12, else oras on PATH, else builtin, our registry client), or one by name. */
  backend: z.enum(['auto', ...PUSH_BACKENDS]).default('auto'),
  /**
   * More tags for the pushed image, written after the read-back proves it: tags, or full references of the image's
   * repository with a tag, one per line, as docker/metadata-action's `tags` output gives them (`pushTags`).
   */
  tags: z
    .array(
      z
        .string()
        .min(1)
        .superRefine((v, ctx) => {
          const problem = tagEntryProblem(v);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
    )
    .default([]),
  /** Registry login; without it the runner's docker config is used. */
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  orasVersion: z
    .string()
    .regex(/^v?\d{1,6}\.\d{1,6}\.\d{1,6}$/, 'expected an oras release such as 1.3.0')
    .default(ORAS_DEFAULT_VERSION),
  /** Attach SLSA provenance to the pushed image as an OCI referrer. */
  provenance: z.boolean().default(true),
  /** Attach a CycloneDX SBOM of the crate to the pushed image as an OCI referrer. */
  sbom: z.boolean().default(true),
  smoke: z.boolean().default(true),
  /** Runtimes the smoke test runs the image under. */
  runtimes: z.array(z.enum(SMOKE_RUNTIMES)).min(1).default(['node']),
  /** Runtimes whose known incompatibility with the module does not fail the step. */
  allowIncompatible: z.array(z.enum(SMOKE_RUNTIMES)).default([]),
  /**
   * A host directory the module gets as a WASI preopen, `HOST` or `HOST:GUEST`; it must exist, and may not be `/`,
   * the runner's home, workspace, temp or tool-cache root or a parent of one without `preopenAllowRoot`.
   */
  preopen: z.string().min(1).optional(),
  /** Allow a preopen of `/` or a runner root (see `preopenProblem`). */
  preopenAllowRoot: z.boolean().default(false),
  smokeArgs: z.array(z.string()).default([]),
  smokeEnv: z.array(keyValue).default([]),
  expectStdout: z.string().max(EXPECT_STDOUT_MAX, `expected at most ${EXPECT_STDOUT_MAX} characters`).optional(),
  /** Treat expectStdout as an RE2 regular expression (matched in linear time; checked by `checkOptionPairs`). */
  expectStdoutRegex: z.boolean().default(false),
  expectExitCode: z.number().int().min(0).max(255).default(0),
  /** Smoke-test timeout, ms: 1 to 6 hours (`TIMEOUT_MAX_MS`). */
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(TIMEOUT_MAX_MS, `expected at most ${TIMEOUT_MAX_MS} ms (6 hours)`)
    .default(30_000),
  /** Scratch directory for the optimized module and the layout. */
  workDir: pathString().default('.wasm-build'),
});

export type PipelineOptions = z.output<typeof pipelineSchema>;

/**
 * Options of `wasm-build verify` (and the verify action): the checks, on a module built elsewhere. The CLI checks
 * them without zod (verify-options.ts `checkVerifyOptions`, the same checks and messages): keep the two alike.
 */
export const verifySchema = pipelineSchema.pick({ require: true, forbid: true, maxSize: true, target: true }).extend({
  /** Path the image runs the module as, checked against compat-smart's `.wasm`/`.wat` rule. */
  entrypoint: pathString()
    .regex(/^\/\S+$/, 'expected an absolute path such as /app.wasm')
    .optional(),
});

export type VerifyOptions = z.output<typeof verifySchema>;

/** Which binaryen release the actions install wasm-opt from. */
export const binaryenSchema = z.object({
  binaryenVersion: z
    .string()
    .regex(/^(version_)?\d{1,6}$/, 'expected a binaryen release number such as 132')
    .default(BINARYEN_DEFAULT_VERSION),
  binaryenBaseUrl: z.url({ protocol: /^https?$/ }).default(BINARYEN_RELEASES),
});
export type PipelineInput = z.input<typeof pipelineSchema>;

/** Where the smoke test's runtimes come from (the actions' inputs; the CLI uses PATH). */
export const runtimeToolsSchema = z.object({
  wasmedge: pathString().optional(),
  wasmtime: pathString().optional(),
  crun: pathString().optional(),
  wasmedgeVersion: z
    .string()
    .regex(/^\d{1,6}\.\d{1,6}\.\d{1,6}$/, 'expected a WasmEdge release such as 0.17.1')
    .optional(),
  wasmedgeSha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits')
    .optional(),
  wasmtimeVersion: z
    .string()
    .regex(/^\d{1,6}\.\d{1,6}\.\d{1,6}$/, 'expected a wasmtime release such as 36.0.0')
    .optional(),
  crunVersion: z
    .string()
    .regex(/^\d{1,6}\.\d{1,6}(\.\d{1,6})?$/, 'expected a crun release such as 1.27.1')
    .optional(),
  /** For GitHub's releases API (rate limits); the actions default it to the job's token. */
  githubToken: z
    .string()
    .max(4096)
    .regex(/^[\x21-\x7e]+$/, 'expected a token (printable ASCII, no spaces)')
    .optional(),
});

/** The fields `checkOptionPairs` compares; each schema that has them gets the check. */
export interface OptionPairs {
  expectStdout?: string;
  expectStdoutRegex?: boolean;
  preopen?: string;
  preopenAllowRoot?: boolean;
  /** `false` skips the preopen's checks on disk (no smoke test will use it). */
  smoke?: boolean;
}

/**
 * The checks one field alone cannot make, as a zod refinement, so they fail at parse time (before setup) with the
 * input's name: `expectStdout` must be an RE2 regular expression when `expectStdoutRegex` is set, and `preopen`
 * must pass `preopenProblem` (unless smoke is off). Add it last: `schema.superRefine(checkOptionPairs)`.
 */
export function checkOptionPairs(o: OptionPairs, ctx: z.RefinementCtx): void {
  if (o.expectStdoutRegex && o.expectStdout !== undefined) {
    const problem = re2Problem(o.expectStdout);
    if (problem) {
      ctx.addIssue({
        code: 'custom',
        path: ['expectStdout'],
        message: `not an RE2 regular expression (${problem}); RE2 has no backreferences or lookahead`,
      });
    }
  }
  if (o.preopen !== undefined && o.smoke !== false) {
    const problem = preopenProblem(o.preopen, { allowRoot: o.preopenAllowRoot ?? false });
    if (problem) ctx.addIssue({ code: 'custom', path: ['preopen'], message: problem });
  }
}

/** The pipeline's schema with `checkOptionPairs`: what the CLI parses. */
export const pipelineOptionsSchema = pipelineSchema.superRefine(checkOptionPairs);

/** The directory and every parent of it, deepest first. */
function selfAndParents(dir: string): string[] {
  const out = [dir];
  while (dirname(out[out.length - 1]) !== out[out.length - 1]) out.push(dirname(out[out.length - 1]));
  return out;
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/**
 * The directories a preopen may not be without `preopen-allow-root`, each with what it is: `/`, and the runner's
 * home (HOME), workspace (GITHUB_WORKSPACE, RUNNER_WORKSPACE), temp dir (RUNNER_TEMP) and tool cache
 * (RUNNER_TOOL_CACHE), each with every parent. Symlinks are resolved, so `real(host)` is compared.
 */
export function preopenRoots(env: NodeJS.ProcessEnv = process.env): Map<string, string> {
  const roots = new Map<string, string>([['/', 'the file system root']]);
  const named: [string, string | undefined, string][] = [
    ['HOME', env.HOME || homedir(), "the runner's home"],
    ['GITHUB_WORKSPACE', env.GITHUB_WORKSPACE, 'the workspace'],
    ['RUNNER_WORKSPACE', env.RUNNER_WORKSPACE, "the runner's workspace"],
    ['RUNNER_TEMP', env.RUNNER_TEMP, "the runner's temp dir"],
    ['RUNNER_TOOL_CACHE', env.RUNNER_TOOL_CACHE, 'the tool cache'],
  ];
  for (const [name, dir, what] of named) {
    if (!dir) continue;
    const [self, ...parents] = selfAndParents(real(dir));
    if (!roots.has(self)) roots.set(self, `${what} (${name})`);
    for (const p of parents) if (!roots.has(p)) roots.set(p, `a parent of ${what} (${name}=${dir})`);
  }
  return roots;
}

/**
 * Why a preopen `HOST[:GUEST]` cannot be used, or undefined: the host path must be usable (`pathProblem`), exist and
 * be a directory; the guest path absolute, without `..`, and not `/` (which would cover the image's own files); and,
 * unless `allowRoot`, the host may not be `/` or a runner root (`preopenRoots`): the module could read and write all
 * of it.
 */
export function preopenProblem(
  spec: string,
  o: { allowRoot: boolean; env?: NodeJS.ProcessEnv } = { allowRoot: false },
): string | undefined {
  const p = parsePreopen(spec);
  if (!p?.host) return 'expected HOST or HOST:GUEST, HOST a directory';
  const problem = pathProblem(p.host);
  if (problem) return problem;
  if (!p.guest.startsWith('/') || p.guest.split('/').includes('..') || pathProblem(p.guest))
    return `guest path "${p.guest}" must be absolute, without ".."`;
  if (posix.normalize(p.guest) === '/')
    return 'guest path "/" would cover the image\'s own files; give one such as /data';
  const host = resolve(p.host);
  let isDir: boolean;
  try {
    isDir = statSync(host).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? `the directory ${host} does not exist`
      : `cannot read ${host} (${code ?? (e as Error).message})`;
  }
  if (!isDir) return `${host} is not a directory`;
  if (!o.allowRoot) {
    const what = preopenRoots(o.env).get(real(host));
    if (what) {
      return `${host} is ${what}: the module could read and write all of it. Preopen a directory made for the test, or set preopen-allow-root`;
    }
  }
  return undefined;
}

/** The login the options give, when both halves are there; undefined means the docker config's. */
export function credentials(o: { username?: string; password?: string }) {
  return o.username && o.password ? { username: o.username, password: o.password } : undefined;
}

/**
 * The smoke test's expectations from the options every front door shares: args, env (`KEY=value` pairs), exit code,
 * stdout (a substring, or with `expectStdoutRegex` an RE2 regular expression, matched in linear time as a
 * `Re2RegExp`) and the timeout in ms.
 * @throws UserError for a pattern RE2 cannot compile (the schemas refuse it first, through `checkOptionPairs`).
 */
export function smokeExpectations(
  o: Pick<
    PipelineOptions,
    'smokeArgs' | 'smokeEnv' | 'expectExitCode' | 'expectStdout' | 'expectStdoutRegex' | 'timeoutMs'
  >,
): SmokeExpectations {
  return {
    args: o.smokeArgs,
    env: keyValues(o.smokeEnv),
    exitCode: o.expectExitCode,
    stdout: o.expectStdout !== undefined && o.expectStdoutRegex ? stdoutPattern(o.expectStdout) : o.expectStdout,
    timeoutMs: o.timeoutMs,
  };
}

function stdoutPattern(source: string): RegExp {
  const problem = re2Problem(source);
  if (problem) {
    throw new UserError(`Invalid expect-stdout ${JSON.stringify(source)}: not an RE2 regular expression (${problem})`, {
      fix: 'Write it in RE2 syntax (github.com/google/re2/wiki/Syntax), or turn expect-stdout-regex off',
    });
  }
  return new Re2RegExp(source);
}

const TAG = /^[\w][\w.-]{0,127}$/;

/** Why a `tags` entry is neither a tag nor an image reference with a tag, or undefined when it is one of them. */
function tagEntryProblem(entry: string): string | undefined {
  if (TAG.test(entry)) return undefined;
  let ref: ImageRef;
  try {
    ref = parseImageRef(entry);
  } catch {
    return 'expected a tag (letters, digits, _ . -) or an image reference with a tag, e.g. ghcr.io/org/app:1.0';
  }
  return ref.tag ? undefined : `expected a tag, or a reference with one: "${entry}" has none`;
}

/**
 * The tags to write for `ref` from `tags` entries: each is a tag (`v1`) or a full reference of the same repository
 * (`ghcr.io/org/app:v1`, one line of docker/metadata-action's `tags` output), whose tag is taken. References are
 * compared after lowercasing, as `parseImageRef` does, so `ghcr.io/MyOrg/App` matches metadata-action's
 * `ghcr.io/myorg/app:v1`. Order kept, each tag once.
 * @throws UserError naming an entry of another repository (metadata-action lists every image of its `images`
 *   input: pass one image per step, or `images` with a single entry), or an entry without a tag.
 * Source: docker/metadata-action README ("tags" output: `<image>:<tag>` per line).
 */
export function pushTags(ref: ImageRef, tags: string[]): string[] {
  const out: string[] = [];
  for (const entry of tags.map((t) => t.trim()).filter(Boolean)) {
    let tag = entry;
    if (!TAG.test(entry)) {
      const other = parseImageRef(entry);
      if (!sameRepository(other, ref)) {
        throw new UserError(
          `Tag "${entry}" names another repository than the image ${formatImageRef({ ...ref, tag: undefined, digest: undefined })}`,
          {
            fix: 'Give tags of the image being pushed: plain tags, or references of the same repository (with docker/metadata-action, set its images input to this image only)',
          },
        );
      }
      if (!other.tag) {
        throw new UserError(`Tag "${entry}" has no tag after the repository`, {
          fix: 'Write it as registry/repository:tag, or give the tag alone',
        });
      }
      tag = other.tag;
    }
    if (!out.includes(tag)) out.push(tag);
  }
  return out;
}

/** `["a=1", "b=2"]` → `{ a: "1", b: "2" }`. */
export function keyValues(pairs: string[]): Record<string, string> {
  return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}
