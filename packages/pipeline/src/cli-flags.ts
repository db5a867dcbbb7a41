// The CLI's flags, generated from the root action's inputs (actions/definitions.ts, through cli-usage.ts), and the
// inputs read from them and from the WASM_BUILD_* variables. Apart from cli-args.ts, which adds the option schemas
// (zod, RE2, the toolchain's bounds): `wasm-build verify` parses its command line with this module alone.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UserError } from '@wasm-build/kit/errors';
import { convertInput, type InputKind } from '@wasm-build/kit/inputs';
import { ENV_ONLY, envName, FLAG_ALIASES, ROOT_INPUTS, SHORT } from './cli-usage.ts';

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

/** The command line split by parseArgs: flag values, positionals and the tokens in order. */
export type ParsedFlags = ReturnType<typeof parse>;

function parse(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, strict: true, tokens: true, options: FLAGS });
}

/**
 * Splits the CLI's argv by its flags (`cliFlagSpec`), strictly: every flag known, every string flag with a value.
 * @throws UserError with parseArgs' message (e.g. "Unknown option '--bogus'") and the fix "See wasm-build --help".
 */
export function parseFlags(argv: string[]): ParsedFlags {
  try {
    return parse(argv);
  } catch (e) {
    throw new UserError((e as Error).message, { fix: 'See wasm-build --help' });
  }
}

/** Names the flag behind a schema path, e.g. ["maxSize"] → "--max-size" (the input's name; a password its variable). */
export function flagName(path: PropertyKey[]): string {
  const key = String(path[0]);
  if (key === 'manifestPath') return '<crate-dir>';
  const name = Object.entries(ROOT_INPUTS).find(([, d]) => d.key === key)?.[0];
  if (!name) return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return name in ENV_ONLY ? envName(name) : `--${name}`;
}

/** A failed check of the options: its issues, first the one reported (a zod error, or `checkVerifyOptions`'). */
export interface OptionIssues {
  issues: readonly { path: PropertyKey[]; message: string }[];
}

/**
 * Turns the first issue (of a zod error, or of verify-options.ts's check) into a UserError naming where the value
 * came from (`sources[key]`: the flag as given, or the environment variable; else `flagName`) and the value.
 */
export function optionError(
  error: OptionIssues,
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

/**
 * An input's value given as `source` (a flag or a variable) as its kind reads it (kit's `convertInput`).
 * @throws UserError `Invalid SOURCE "RAW": why`, with how to set a boolean variable, or "See wasm-build --help".
 */
export function convertFlag(source: string, kind: InputKind, raw: string): unknown {
  return convertInput(kind, raw, (why) => {
    const fix =
      kind === 'boolean' && source.startsWith('WASM_BUILD_')
        ? `Set ${source}=true or ${source}=false, or unset it`
        : 'See wasm-build --help';
    return new UserError(`Invalid ${source} ${JSON.stringify(raw)}: ${why}`, { fix });
  });
}

/** The inputs as given: each input's value from its flag, else its environment variable, and where it came from. */
export interface Given {
  values: Record<string, unknown>;
  /** Input name → `--flag` as typed, or the variable's name. */
  sources: Record<string, string>;
}

type Token = NonNullable<ParsedFlags['tokens']>[number];

/**
 * Reads every root input from the flags (in order: a later flag wins; list flags add up, each value split on
 * commas; lines flags one item each, as typed) and, where no flag gave it, from its `WASM_BUILD_*` variable.
 * @throws UserError for a number flag or a variable that cannot be read.
 */
export function givenInputs(tokens: Token[], env: NodeJS.ProcessEnv): Given {
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
        ...((convertFlag(sources[name], 'list', v) as string[]) ?? []),
      ];
    else if (def.kind === 'lines') values[name] = [...((values[name] as string[]) ?? []), v];
    else if (def.kind === 'number') values[name] = convertFlag(sources[name], 'number', v);
    else values[name] = v;
  }
  for (const [name, def] of Object.entries(ROOT_INPUTS)) {
    if (name in values || name in ENV_ONLY) continue;
    const variable = envName(name);
    const v = convertFlag(variable, def.kind, env[variable] ?? '');
    if (v === undefined) continue;
    values[name] = v;
    sources[name] = variable;
  }
  return { values, sources };
}

/** Input name → source, re-keyed by schema key (e.g. `max-size` → `maxSize`). */
export function keyed(sources: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(sources).map(([name, s]) => [ROOT_INPUTS[name].key, s]));
}
