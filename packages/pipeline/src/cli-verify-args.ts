// The commands parsed without the pipeline's option schemas: `--help`, `--version` and `wasm-build verify`, whose
// options verify-options.ts checks without zod. cli.ts tries this first, and loads cli-args.ts (zod, RE2, the
// toolchain's bounds) only for the pipeline and promote; cli-args.ts's parseCli answers these commands through it too.
import { UserError } from '@wasm-build/kit/errors';
import type { CliCommand } from './cli-args.ts';
import { givenInputs, keyed, optionError, parseFlags } from './cli-flags.ts';
import { checkVerifyOptions, type VerifyRaw } from './verify-options.ts';

/**
 * Parses the CLI's argv (and the `WASM_BUILD_*` variables of `env`) when it is `--help`, `--version` or
 * `verify FILE`, exactly as cli-args.ts's parseCli does: every flag known, every root input read from its flag or
 * variable (a bad number or boolean anywhere fails), verify's options within their bounds.
 * @returns the command, or undefined for the pipeline and promote (parse those with parseCli)
 * @throws UserError naming the flag (or variable) and the bad value, before any work.
 */
export function parseCliLight(argv: string[], env: NodeJS.ProcessEnv = process.env): CliCommand | undefined {
  const { values: v, positionals, tokens } = parseFlags(argv);
  const json = !!v.json;
  const verbose = !!v.verbose;
  if (v.help) return { kind: 'help', json, verbose };
  if (v.version) return { kind: 'version', json, verbose };
  if (positionals[0] !== 'verify') return undefined;
  const given = givenInputs(tokens, env);
  const inputValue = (name: string) => given.values[name];
  if (positionals.length !== 2)
    throw new UserError('wasm-build verify takes one module path', { fix: 'wasm-build verify path/to/module.wasm' });
  const raw = {
    require: inputValue('require') ?? [],
    forbid: inputValue('forbid') ?? [],
    maxSize: inputValue('max-size'),
    entrypoint: v.entrypoint,
    target: inputValue('target'),
  } as VerifyRaw;
  const r = checkVerifyOptions(raw);
  if (!r.success) throw optionError(r, raw as Record<string, unknown>, keyed(given.sources));
  return { kind: 'verify', file: positionals[1], verify: r.data, json, verbose };
}
