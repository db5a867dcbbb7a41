// The CLI's arguments, generated from the root action's inputs (actions/definitions.ts): every input is a flag of the
// same name and a WASM_BUILD_<NAME> environment variable, so the CLI cannot fall behind the action.
import { homedir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UserError } from '@wasm-build/kit/errors';
import { convertInput, type InputKind } from '@wasm-build/kit/inputs';
import { type ImageRef, parseImageRef } from '@wasm-build/oci/reference';
import type { BinaryenRelease } from '@wasm-build/toolchain/binaryen';
import * as z from 'zod';
import { ENV_ONLY, envName, FLAG_ALIASES, ROOT_INPUTS, SHORT } from './cli-usage.ts';
import {
  binaryenSchema,
  checkOptionPairs,
  type PipelineOptions,
  pipelineSchema,
  runtimeToolsSchema,
  type VerifyOptions,
  verifySchema,
} from './options.ts';
import type { ToolSources } from './steps/smoke.ts';

export { ENV_ONLY, envName, FLAG_ALIASES, inputHelp, ROOT_INPUTS, USAGE } from './cli-usage.ts';

/** Flags of the CLI alone (subcommands, output), not action inputs. */
const CLI_FLAGS = {
  'local-registry': { type: 'boolean' },
  'no-tag': { type: 'boolean' },
  entrypoint: { type: 'string' },
  'module-sha256': { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** Where the CLI installs tools when it must and RUNNER_TOOL_CACHE is unset: `$XDG_CACHE_HOME/wasm-build/tool-cache`. */
export function defaultToolCache(env: NodeJS.ProcessEnv = process.env): string {
  // The XDG Base Directory spec: a relative XDG_CACHE_HOME is invalid and ignored.
  const xdg = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(xdg, 'wasm-build', 'tool-cache');
}

type FlagSpec = { type: 'string' | 'boolean'; multiple?: boolean; short?: string };

/**
 * parseArgs options for every root input: `--NAME VALUE` (string, number), `--NAME`/`--no-NAME` (boolean),
 * `--NAME VALUE` repeatable (list, lines), plus `FLAG_ALIASES` and the CLI's own flags.
 * @throws Error when a generated flag collides with another (a new input named like a CLI flag): a developer error.
 */
export function cliFlagSpec(): Record<string, FlagSpec> {
  const spec: Record<string, FlagSpec> = {};
  const add = (flag: string, s: FlagSpec) => {
    if (flag in spec || flag in CLI_FLAGS)
      throw new Error(`CLI flag --${flag} is defined twice (actions/definitions.ts)`);
    spec[flag] = s;
  };
  for (const [name, def] of Object.entries(ROOT_INPUTS)) {
    if (name in ENV_ONLY) continue;
    const s: FlagSpec =
      def.kind === 'boolean'
        ? { type: 'boolean' }
        : def.kind === 'list' || def.kind === 'lines'
          ? { type: 'string', multiple: true }
          : { type: 'string' };
    add(name, SHORT[name] ? { ...s, short: SHORT[name] } : s);
    if (def.kind === 'boolean') add(`no-${name}`, { type: 'boolean' });
  }
  for (const [alias, name] of Object.entries(FLAG_ALIASES)) {
    const target = spec[name];
    if (!target) throw new Error(`CLI alias --${alias} names no input flag ${name}`);
    add(alias, { type: target.type, ...(target.multiple && { multiple: true }) });
  }
  return { ...spec, ...CLI_FLAGS };
}

const FLAGS = cliFlagSpec();

/** Names the flag behind a schema path, e.g. ["maxSize"] → "--max-size" (the input's name; a password its variable). */
export function flagName(path: PropertyKey[]): string {
  const key = String(path[0]);
  if (key === 'manifestPath') return '<crate-dir>';
  const name = Object.entries(ROOT_INPUTS).find(([, d]) => d.key === key)?.[0];
  if (!name) return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return name in ENV_ONLY ? envName(name) : `--${name}`;
}

/**
 * Turns the first zod issue into a UserError naming where the value came from (`sources[key]`: the flag as given,
 * or the environment variable; else `flagName`) and the value.
 */
export function optionError(
  error: z.ZodError,
  raw: Record<string, unknown>,
  sources: Record<string, string> = {},
): UserError {
  const issue = error.issues[0];
  const key = String(issue.path[0]);
  const value = raw[key];
  const shown = Array.isArray(value) && typeof issue.path[1] === 'number' ? value[issue.path[1]] : value;
  return new UserError(`Invalid ${sources[key] ?? flagName(issue.path)} ${JSON.stringify(shown)}: ${issue.message}`, {
    fix: 'See wasm-build --help',
  });
}

/** An input's value given as `source` (a flag or a variable) as its kind reads it (kit's `convertInput`). */
function convert(source: string, kind: InputKind, raw: string): unknown {
  return convertInput(kind, raw, (why) => {
    const fix =
      kind === 'boolean' && source.startsWith('WASM_BUILD_')
        ? `Set ${source}=true or ${source}=false, or unset it`
        : 'See wasm-build --help';
    return new UserError(`Invalid ${source} ${JSON.stringify(raw)}: ${why}`, { fix });
  });
}

const splitList = (v: string) => (convert('--tag', 'list', v) as string[] | undefined) ?? [];

/** The inputs as given: each input's value from its flag, else its environment variable, and where it came from. */
interface Given {
  values: Record<string, unknown>;
  /** Input name → `--flag` as typed, or the variable's name. */
  sources: Record<string, string>;
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/**
 * Reads every root input from the flags (in order: a later flag wins; list flags add up, each value split on
 * commas; lines flags one item each, as typed) and, where no flag gave it, from its `WASM_BUILD_*` variable.
 * @throws UserError for a number flag or a variable that cannot be read.
 */
function givenInputs(tokens: Token[], env: NodeJS.ProcessEnv): Given {
  const values: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    let name = FLAG_ALIASES[t.name] ?? t.name;
    let negated = false;
    if (!(name in ROOT_INPUTS) && name.startsWith('no-') && ROOT_INPUTS[name.slice(3)]?.kind === 'boolean') {
      name = name.slice(3);
      negated = true;
    }
    const def = ROOT_INPUTS[name];
    if (!def || name in ENV_ONLY) continue;
    sources[name] = t.rawName.startsWith('--') ? `--${t.name}` : t.rawName;
    const v = t.value ?? '';
    if (def.kind === 'boolean') values[name] = !negated;
    else if (def.kind === 'list')
      values[name] = [
        ...((values[name] as string[]) ?? []),
        ...((convert(sources[name], 'list', v) as string[]) ?? []),
      ];
    else if (def.kind === 'lines') values[name] = [...((values[name] as string[]) ?? []), v];
    else if (def.kind === 'number') values[name] = convert(sources[name], 'number', v);
    else values[name] = v;
  }
  for (const [name, def] of Object.entries(ROOT_INPUTS)) {
    if (name in values || name in ENV_ONLY) continue;
    const variable = envName(name);
    const v = convert(variable, def.kind, env[variable] ?? '');
    if (v === undefined) continue;
    values[name] = v;
    sources[name] = variable;
  }
  return { values, sources };
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
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    throw new UserError((e as Error).message, { fix: 'See wasm-build --help' });
  }
  const { values: v, positionals, tokens } = parsed;
  const json = !!v.json;
  const verbose = !!v.verbose;
  if (v.help) return { kind: 'help', json, verbose };
  if (v.version) return { kind: 'version', json, verbose };
  if (positionals[0] === 'promote')
    return { kind: 'promote', promote: promoteCommand(v, positionals, env), json, verbose };
  const given = givenInputs(tokens, env);
  const inputValue = (name: string) => given.values[name];
  if (positionals[0] === 'verify') {
    if (positionals.length !== 2)
      throw new UserError('wasm-build verify takes one module path', { fix: 'wasm-build verify path/to/module.wasm' });
    const raw = {
      require: inputValue('require') ?? [],
      forbid: inputValue('forbid') ?? [],
      maxSize: inputValue('max-size'),
      entrypoint: v.entrypoint,
      target: inputValue('target'),
    };
    const r = verifySchema.safeParse(raw);
    if (!r.success) throw optionError(r.error, raw, keyed(given.sources));
    return { kind: 'verify', file: positionals[1], verify: r.data, json, verbose };
  }
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

/** Input name → source, re-keyed by schema key. */
function keyed(sources: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(sources).map(([name, s]) => [ROOT_INPUTS[name].key, s]));
}

const SHA256_HEX = /^(?:sha256:)?([0-9a-f]{64})$/;

/** `wasm-build promote`'s flags, checked before any request. @throws UserError naming the flag and the value. */
function promoteCommand(
  v: ReturnType<typeof parse>['values'],
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

function parse(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, strict: true, tokens: true, options: FLAGS });
}
