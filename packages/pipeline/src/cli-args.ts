// The CLI's arguments, generated from the root action's inputs (actions/definitions.ts): every input is a flag of the
// same name and a WASM_BUILD_<NAME> environment variable, so the CLI cannot fall behind the action.
import { homedir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '@wasm-build/kit/errors';
import { type ImageRef, parseImageRef } from '@wasm-build/oci/reference';
import type { BinaryenRelease } from '@wasm-build/toolchain/binaryen';
import * as z from 'zod';
import { convertFlag, givenInputs, keyed, optionError, parseFlags } from './cli-flags.ts';
import { envName, ROOT_INPUTS } from './cli-usage.ts';
import { parseCliLight } from './cli-verify-args.ts';
import {
  binaryenSchema,
  checkOptionPairs,
  type PipelineOptions,
  pipelineSchema,
  runtimeToolsSchema,
  type VerifyOptions,
} from './options.ts';
import type { ToolSources } from './steps/smoke.ts';

export { cliFlagSpec, flagName, optionError } from './cli-flags.ts';
export { ENV_ONLY, envName, FLAG_ALIASES, inputHelp, ROOT_INPUTS, USAGE } from './cli-usage.ts';

/** Where the CLI installs tools when it must and RUNNER_TOOL_CACHE is unset: `$XDG_CACHE_HOME/wasm-build/tool-cache`. */
export function defaultToolCache(env: NodeJS.ProcessEnv = process.env): string {
  // The XDG Base Directory spec: a relative XDG_CACHE_HOME is invalid and ignored.
  const xdg = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(xdg, 'wasm-build', 'tool-cache');
}

/** The root action's schema as the CLI parses it: the pipeline's options, binaryen's, the runtimes' and `cache`. */
export const cliSchema = pipelineSchema
  .extend(binaryenSchema.shape)
  .extend(runtimeToolsSchema.shape)
  .extend({ cache: z.boolean().default(true) })
  .superRefine(checkOptionPairs);
export type CliInputs = z.output<typeof cliSchema>;

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

/** A parsed command line: which command, its validated options, and what the CLI does around the pipeline. */
export interface CliCommand {
  kind: 'pipeline' | 'verify' | 'promote' | 'help' | 'version';
  options?: PipelineOptions;
  /** Every root input as parsed (`options` plus binaryen, runtime tools and cache). */
  inputs?: CliInputs;
  /** What runPipeline takes besides the options, as the action passes it (actions/wasm-build/src/main.ts). */
  extra?: { binaryen?: BinaryenRelease; tools?: Partial<ToolSources> };
  /** Set when a tool will be installed and RUNNER_TOOL_CACHE is unset: the directory to use (`defaultToolCache`). */
  toolCache?: string;
  /** `--no-tag`: push by digest only. */
  noTag?: boolean;
  promote?: PromoteCommand;
  verify?: VerifyOptions;
  localRegistry?: boolean;
  file?: string;
  json: boolean;
  verbose: boolean;
}

/** Root inputs whose being given (flag or variable) makes the CLI install binaryen. */
const BINARYEN_INPUTS = ['binaryen-version', 'binaryen-base-url'];
/** Root inputs whose being given makes the CLI install missing runtimes, as the action does. */
const RUNTIME_INSTALL_INPUTS = ['wasmedge-version', 'wasmedge-sha256', 'crun-version', 'wasmtime-version'];

/**
 * Parses the CLI's argv (and the `WASM_BUILD_*` variables of `env`) into a command with validated options: every
 * root input from its flag, else its variable, else its default; every value against its bounds (see USAGE), the
 * pairs `checkOptionPairs` checks (an RE2 --expect-stdout, an existing --preopen that is no runner root) and the
 * wasm-opt arguments, so that nothing bad reaches a stage. The password comes from WASM_BUILD_PASSWORD only.
 * @throws UserError naming the flag (or variable) and the bad value, before any work.
 */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliCommand {
  const light = parseCliLight(argv, env);
  if (light) return light;
  const { values: v, positionals, tokens } = parseFlags(argv);
  const json = !!v.json;
  const verbose = !!v.verbose;
  if (positionals[0] === 'promote')
    return { kind: 'promote', promote: promoteCommand(v, positionals, env), json, verbose };
  const given = givenInputs(tokens, env);
  const inputValue = (name: string) => given.values[name];
  if (positionals.length > 1)
    throw new UserError(`Expected one crate, got ${positionals.length}: ${positionals.join(' ')}`, {
      fix: 'wasm-build [options] path/to/crate',
    });
  if (positionals.length === 1 && given.sources['manifest-path']?.startsWith('-'))
    throw new UserError(`Both a crate "${positionals[0]}" and --manifest-path "${inputValue('manifest-path')}" given`, {
      fix: 'Give the crate once: as the argument or as --manifest-path',
    });
  const raw: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(ROOT_INPUTS)) raw[def.key] = given.values[name];
  const sources = keyed(given.sources);
  if (positionals.length === 1) {
    raw.manifestPath = positionals[0];
    sources.manifestPath = '<crate-dir>';
  }
  raw.manifestPath ??= '.';
  if (v['local-registry'] && !raw.image)
    raw.image = `wasm-build/${basename(resolve(String(raw.manifestPath)))
      .replace(/\.toml$/i, '')
      .toLowerCase()}:latest`;
  // As before the flags were generated: the password is read only with a username to go with it.
  raw.password = raw.username ? env[envName('password')] || undefined : undefined;
  raw.githubToken = env[envName('github-token')] || env.GITHUB_TOKEN || undefined;
  const r = cliSchema.safeParse(raw);
  if (!r.success) throw optionError(r.error, raw, sources);
  const inputs = r.data;
  const { binaryenVersion, binaryenBaseUrl, cache: _cache, ...options } = inputs;
  const isGiven = (names: string[]) => names.some((n) => n in given.values);
  const binaryen =
    isGiven(BINARYEN_INPUTS) && options.optimize && !options.wasmOpt
      ? { version: binaryenVersion, baseUrl: binaryenBaseUrl }
      : undefined;
  const install = isGiven(RUNTIME_INSTALL_INPUTS);
  // zod keeps only the runtime keys: paths, versions, the pinned sha256, the token.
  const tools = { ...runtimeToolsSchema.parse(inputs), install };
  return {
    kind: 'pipeline',
    options,
    inputs,
    extra: { binaryen, tools },
    ...((binaryen || install) && !env.RUNNER_TOOL_CACHE && { toolCache: defaultToolCache(env) }),
    noTag: !!v['no-tag'],
    localRegistry: !!v['local-registry'],
    json,
    verbose,
  };
}

const splitList = (v: string) => (convertFlag('--tag', 'list', v) as string[] | undefined) ?? [];

const SHA256_HEX = /^(?:sha256:)?([0-9a-f]{64})$/;

/** `wasm-build promote`'s flags, checked before any request. @throws UserError naming the flag and the value. */
function promoteCommand(
  v: ReturnType<typeof parseFlags>['values'],
  positionals: string[],
  env: NodeJS.ProcessEnv,
): PromoteCommand {
  const fix = 'wasm-build promote --image REPO@sha256:... --module-sha256 HEX --entrypoint /NAME.wasm --tag TAG';
  const str = (k: string) => v[k] as string | undefined;
  if (positionals.length !== 1) throw new UserError(`Unexpected ${JSON.stringify(positionals[1])}`, { fix });
  const image = str('image');
  if (!image) throw new UserError('wasm-build promote needs --image REPO@DIGEST', { fix });
  const ref = parseImageRef(image);
  if (!ref.digest)
    throw new UserError(`Invalid --image ${JSON.stringify(image)}: promote takes a reference pinned by digest`, {
      fix: 'Pass the image-ref output of the push (registry/repository@sha256:...)',
    });
  const wasm = SHA256_HEX.exec(str('module-sha256') ?? '');
  if (!wasm)
    throw new UserError(
      `Invalid --module-sha256 ${JSON.stringify(str('module-sha256') ?? '')}: expected 64 hex digits`,
      {
        fix,
      },
    );
  const entrypoint = str('entrypoint') ?? '';
  if (!/^\/[\w.-]+\.wasm$/.test(entrypoint))
    throw new UserError(`Invalid --entrypoint ${JSON.stringify(entrypoint)}: expected /NAME.wasm`, { fix });
  const tags = [...((v.tag as string[] | undefined) ?? []), ...((v.tags as string[] | undefined) ?? [])].flatMap(
    splitList,
  );
  if (!tags.length) throw new UserError('wasm-build promote needs at least one --tag', { fix });
  const username = str('username');
  return {
    ref,
    digest: ref.digest,
    wasmSha256: `sha256:${wasm[1]}`,
    entrypoint,
    tags: [...new Set(tags)],
    // Unset rather than false: a loopback registry is then spoken to over plain HTTP, as the push does.
    insecure: v.insecure ? true : undefined,
    username,
    password: username ? env[envName('password')] : undefined,
  };
}
