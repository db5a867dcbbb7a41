// `wasm-build --help`, generated from the root action's inputs (actions/definitions.ts). Apart from the CLI's
// parser: `--help` loads only this and the definitions, not the option schemas (zod) nor the RE2 engine.
import { ACTIONS, type InputDef } from '../../../actions/definitions.ts';

/** The root action's inputs (`uses: org/wasm-build@v1`), in the order action.yml lists them. */
export const ROOT_INPUTS: Readonly<Record<string, InputDef>> = (() => {
  const root = ACTIONS.find((a) => a.dir === 'wasm-build');
  if (!root) throw new Error('actions/definitions.ts has no wasm-build action');
  return root.inputs;
})();

/** Flags kept from before the flags were generated, each another name for an input: alias → input. */
export const FLAG_ALIASES: Readonly<Record<string, string>> = {
  layout: 'layout-dir',
  tag: 'tags',
  arg: 'args',
  runtime: 'runtimes',
  annotation: 'annotations',
  label: 'labels',
  'wasm-opt-arg': 'wasm-opt-args',
};

/** One-letter flags: input → letter. */
export const SHORT: Readonly<Record<string, string>> = { package: 'p' };

/** Inputs that have no flag, each with why: only their environment variable sets them. */
export const ENV_ONLY: Readonly<Record<string, string>> = {
  password: "a flag's value is visible to every user of the machine (ps, /proc/PID/cmdline)",
  'github-token': "a token is a secret, and a flag's value is visible to every user of the machine (ps)",
};

/** The environment variable of an input: `WASM_BUILD_` and its name in upper case, dashes as underscores. */
export function envName(input: string): string {
  return `WASM_BUILD_${input.toUpperCase().replace(/-/g, '_')}`;
}

/** What the CLI does with an input that the action's description does not say, or says for Actions only. */
export const CLI_NOTES: Readonly<Record<string, string>> = {
  'manifest-path': 'Also the positional argument.',
  'binaryen-version':
    'CLI: wasm-opt comes from PATH (or --wasm-opt) unless this or --binaryen-base-url is given; then that release is installed into the tool cache.',
  'binaryen-base-url': 'CLI: giving it installs binaryen (see --binaryen-version).',
  'wasmedge-version':
    'CLI: runtimes come from PATH (or --wasmedge, --crun, --wasmtime) unless a runtime version or --wasmedge-sha256 is given; then missing ones are installed (and crun built) as the action does.',
  'wasmedge-sha256': 'CLI: giving it lets missing runtimes be installed (see --wasmedge-version).',
  'crun-version': 'CLI: giving it lets missing runtimes be installed (see --wasmedge-version).',
  'wasmtime-version': 'CLI: giving it lets missing runtimes be installed (see --wasmedge-version).',
  'github-token': `CLI: no flag, since a flag's value is visible to other users (ps): set ${envName('github-token')}, else GITHUB_TOKEN is used.`,
  password: `CLI: no flag, since ${ENV_ONLY.password}: set ${envName('password')}; read only with --username.`,
  cache:
    "CLI: no effect outside GitHub Actions (@actions/cache needs the runner); cargo's own caches (~/.cargo, target/) stay on this machine.",
  runtimes: "CLI: the action's default adds wasmedge and crun-wasmedge, which it installs.",
};

/** Defaults the CLI applies where they differ from action.yml's. */
export const CLI_DEFAULTS: Readonly<Record<string, string>> = { runtimes: 'node', 'github-token': '' };

/** Section headings of the option list, before the input that starts each; new inputs join the section above. */
const SECTIONS: Readonly<Record<string, string>> = {
  'manifest-path': 'Setup',
  package: 'Build and optimize',
  require: 'Verify',
  image: 'Image and push',
  smoke: 'Smoke test',
  'work-dir': 'Other inputs',
};

const PLACEHOLDER: Readonly<Record<string, string>> = {
  'manifest-path': 'PATH',
  toolchain: 'NAME|DIR',
  target: 'TRIPLE',
  'binaryen-base-url': 'URL',
  package: 'SPEC',
  bin: 'NAME',
  features: 'A,B',
  profile: 'NAME',
  'wasm-opt': 'PATH',
  'opt-level': 'LEVEL',
  'wasm-opt-args': 'ARG',
  require: 'F,G',
  forbid: 'F,G',
  'max-size': 'BYTES',
  image: 'REF',
  annotations: 'K=V',
  labels: 'K=V',
  backend: 'NAME',
  tags: 'TAG',
  username: 'USER',
  'layout-dir': 'DIR',
  args: 'ARG',
  env: 'K=V',
  'expect-stdout': 'TEXT',
  'expect-exit-code': 'N',
  timeout: 'MS',
  runtimes: 'R,S',
  'allow-incompatible': 'R,S',
  preopen: 'HOST[:GUEST]',
  wasmedge: 'PATH',
  crun: 'PATH',
  wasmtime: 'PATH',
  'github-token': 'TOKEN',
  'wasmedge-sha256': 'HEX',
  'work-dir': 'DIR',
};

function placeholder(name: string, def: InputDef): string {
  if (PLACEHOLDER[name]) return PLACEHOLDER[name];
  if (name.endsWith('-version')) return 'VERSION';
  if (name.endsWith('-dir')) return 'DIR';
  return def.kind === 'number' ? 'N' : def.kind === 'list' ? 'A,B' : 'VALUE';
}

/** `text` in lines of at most `width` characters, words kept whole. */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * The option list of `--help`, generated from the root action's inputs: each flag (its aliases, `--[no-]` for a
 * boolean, `WASM_BUILD_PASSWORD` for the password) with the input's description, the CLI's note and its default,
 * under a section heading, wrapped to `columns` characters.
 */
export function inputHelp(columns = 100): string {
  const indent = 26;
  const out: string[] = [];
  const aliasesOf = (name: string) =>
    Object.entries(FLAG_ALIASES)
      .filter(([, n]) => n === name)
      .map(([a]) => a);
  for (const [name, def] of Object.entries(ROOT_INPUTS)) {
    if (SECTIONS[name]) out.push(`${SECTIONS[name]}:`);
    const value = def.kind === 'boolean' ? '' : ` ${placeholder(name, def)}`;
    const flags =
      name in ENV_ONLY
        ? envName(name)
        : [
            ...(SHORT[name] ? [`-${SHORT[name]}`] : []),
            def.kind === 'boolean' ? `--[no-]${name}` : `--${name}${value}`,
            ...aliasesOf(name).map((a) => `--${a}`),
          ].join(', ');
    const dflt = CLI_DEFAULTS[name] ?? def.default ?? '';
    const text = [
      def.description.replace(/\bEmpty: /g, 'Not given: '),
      CLI_NOTES[name],
      dflt && !def.description.includes(`default ${dflt}`) ? `(default ${dflt})` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const body = wrapWords(text, Math.max(30, columns - indent));
    const head = `  ${flags}`;
    if (head.length <= indent - 1)
      out.push(head.padEnd(indent) + body[0], ...body.slice(1).map((l) => ' '.repeat(indent) + l));
    else out.push(head, ...body.map((l) => ' '.repeat(indent) + l));
  }
  return out.join('\n');
}

/**
 * `wasm-build --help`: the commands, the flag/variable rule, the option list generated from the root action's inputs
 * (`inputHelp`, 100 columns) and the CLI's own flags.
 */
export const USAGE = `Usage:
  wasm-build [options] [crate-dir | Cargo.toml]    build, optimize, verify, image, push, smoke-test (default: .)
  wasm-build verify [--require F] [--forbid F] [--max-size BYTES] [--entrypoint /NAME.wasm] [--target TRIPLE]
                    [--json] <module.wasm>
  wasm-build promote --image REPO@DIGEST --module-sha256 HEX --entrypoint /NAME.wasm --tag TAG [--tag TAG]
                    [--insecure] [--username USER]    read the pushed image back, prove it, then write the tags

Every input of the GitHub action is a flag of the same name and an environment variable WASM_BUILD_<NAME> (upper
case, dashes as underscores: --binaryen-version is WASM_BUILD_BINARYEN_VERSION). A flag wins over the variable,
the variable over the default. Booleans: --NAME or --no-NAME, WASM_BUILD_NAME=true|false. Lists: repeat the flag or
separate with commas (newlines in the variable). The secrets have no flag: WASM_BUILD_PASSWORD and
WASM_BUILD_GITHUB_TOKEN.

${inputHelp(100)}
CLI only:
  --local-registry        start a registry on 127.0.0.1 for this run and push there (--image defaults to
                          wasm-build/<crate>)
  --no-tag                push by digest only and write no tag (tag it later with wasm-build promote)
  --json                  print the result as JSON on stdout (logs stay on stderr), on success and on failure
  --verbose               debug lines, and stack traces of internal errors
  -h, --help              this text
  -V, --version           wasm-build's version and the versions of the tools it would use

Output: results on stdout, logs on stderr. Colour only on a terminal, never with NO_COLOR, always with FORCE_COLOR.
Glyphs (✓ ✗ ⚠ ▶) and table borders are ASCII unless the stream is a terminal with a UTF-8 locale and TERM is not
dumb. Tables fit the terminal's width (COLUMNS, else 100, when not a terminal).`;
