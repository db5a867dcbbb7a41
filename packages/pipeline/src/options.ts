import { PUSH_BACKENDS, parseImageRef } from '@wasm-build/oci';
import { SMOKE_RUNTIMES, type SmokeExpectations } from '@wasm-build/smoke';
import {
  BINARYEN_DEFAULT_VERSION,
  BINARYEN_RELEASES,
  OPT_LEVELS,
  ORAS_DEFAULT_VERSION,
  WASI_TARGETS,
} from '@wasm-build/toolchain';
import { FEATURES } from '@wasm-build/wasm';
import { z } from 'zod';

const keyValue = z.string().regex(/^[^=\s]+=.*$/s, 'expected KEY=value');

/**
 * The pipeline's options, one schema for every front door (CLI flags, action inputs). Parse with `parseOptions`
 * so a bad value fails before any work with the option's name.
 */
export const pipelineSchema = z.object({
  /** Crate directory or Cargo.toml. */
  manifestPath: z.string().min(1),
  /** rustup toolchain name (`stable`, `1.83`, `debian`) or a directory with bin/cargo (`/usr`). */
  toolchain: z.string().min(1).optional(),
  target: z.enum(WASI_TARGETS).optional(),
  threads: z.boolean().default(false),
  package: z.string().min(1).optional(),
  bin: z.string().min(1).optional(),
  features: z.array(z.string().min(1)).default([]),
  profile: z
    .string()
    .regex(/^[a-z0-9_-]+$/, 'expected a cargo profile name')
    .default('release'),
  optimize: z.boolean().default(true),
  wasmOpt: z.string().min(1).optional(),
  optLevel: z.enum(OPT_LEVELS).default('z'),
  wasmOptArgs: z.array(z.string()).default([]),
  require: z.array(z.enum(FEATURES)).default([]),
  forbid: z.array(z.enum(FEATURES)).default([]),
  maxSize: z.number().int().positive().optional(),
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
  layoutDir: z.string().min(1).optional(),
  annotations: z.array(keyValue).default([]),
  labels: z.array(keyValue).default([]),
  insecure: z.boolean().optional(),
  /** Push tool: auto (buildx ≥ 0.12, else oras on PATH, else skopeo on PATH, else oras installed), or one by name. */
  backend: z.enum(['auto', ...PUSH_BACKENDS]).default('auto'),
  /** More tags for the pushed image, written after the read-back proves it. */
  tags: z.array(z.string().regex(/^[\w][\w.-]{0,127}$/, 'expected a tag (letters, digits, _ . -)')).default([]),
  /** Registry login; without it the runner's docker config is used. */
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  orasVersion: z
    .string()
    .regex(/^v?\d+\.\d+\.\d+$/, 'expected an oras release such as 1.3.0')
    .default(ORAS_DEFAULT_VERSION),
  smoke: z.boolean().default(true),
  /** Runtimes the smoke test runs the image under. */
  runtimes: z.array(z.enum(SMOKE_RUNTIMES)).min(1).default(['node']),
  /** Runtimes whose known incompatibility with the module does not fail the step. */
  allowIncompatible: z.array(z.enum(SMOKE_RUNTIMES)).default([]),
  /** A host directory the module gets as a WASI preopen, `HOST` or `HOST:GUEST`. */
  preopen: z.string().min(1).optional(),
  smokeArgs: z.array(z.string()).default([]),
  smokeEnv: z.array(keyValue).default([]),
  expectStdout: z.string().optional(),
  /** Treat expectStdout as a regular expression. */
  expectStdoutRegex: z.boolean().default(false),
  expectExitCode: z.number().int().min(0).max(255).default(0),
  timeoutMs: z.number().int().positive().default(30_000),
  /** Scratch directory for the optimized module and the layout. */
  workDir: z.string().min(1).default('.wasm-build'),
});

export type PipelineOptions = z.output<typeof pipelineSchema>;

/** Options of `wasm-build verify` (and the verify action): the checks, on a module built elsewhere. */
export const verifySchema = pipelineSchema.pick({ require: true, forbid: true, maxSize: true, target: true }).extend({
  /** Path the image runs the module as, checked against compat-smart's `.wasm`/`.wat` rule. */
  entrypoint: z
    .string()
    .regex(/^\/\S+$/, 'expected an absolute path such as /app.wasm')
    .optional(),
});

export type VerifyOptions = z.output<typeof verifySchema>;

/** Which binaryen release the actions install wasm-opt from. */
export const binaryenSchema = z.object({
  binaryenVersion: z
    .string()
    .regex(/^(version_)?\d+$/, 'expected a binaryen release number such as 132')
    .default(BINARYEN_DEFAULT_VERSION),
  binaryenBaseUrl: z.url({ protocol: /^https?$/ }).default(BINARYEN_RELEASES),
});
export type PipelineInput = z.input<typeof pipelineSchema>;

/** Where the smoke test's runtimes come from (the actions' inputs; the CLI uses PATH). */
export const runtimeToolsSchema = z.object({
  wasmedge: z.string().min(1).optional(),
  wasmtime: z.string().min(1).optional(),
  crun: z.string().min(1).optional(),
  wasmedgeVersion: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/, 'expected a WasmEdge release such as 0.17.1')
    .optional(),
  wasmedgeSha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits')
    .optional(),
  wasmtimeVersion: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/, 'expected a wasmtime release such as 36.0.0')
    .optional(),
  crunVersion: z
    .string()
    .regex(/^\d+\.\d+(\.\d+)?$/, 'expected a crun release such as 1.27.1')
    .optional(),
});

/** The login the options give, when both halves are there; undefined means the docker config's. */
export function credentials(o: { username?: string; password?: string }) {
  return o.username && o.password ? { username: o.username, password: o.password } : undefined;
}

/**
 * The smoke test's expectations from the options every front door shares: args, env (`KEY=value` pairs), exit code,
 * stdout (a substring, or a RegExp with `expectStdoutRegex`) and the timeout in ms.
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
    stdout: o.expectStdout !== undefined && o.expectStdoutRegex ? new RegExp(o.expectStdout) : o.expectStdout,
    timeoutMs: o.timeoutMs,
  };
}

/** `["a=1", "b=2"]` → `{ a: "1", b: "2" }`. */
export function keyValues(pairs: string[]): Record<string, string> {
  return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}
