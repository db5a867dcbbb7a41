// Writes every action.yml from actions/definitions.ts, then each README's input/output tables from the action.yml
// files (`npm run actions`). check-dist runs it and fails when the committed files differ.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ACTIONS, type ActionDef } from '../actions/definitions.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const RUST_CACHE = 'Swatinem/rust-cache@9d47c6ad4b02e050fd481d890b2ea34778fd09d6'; // v2.7.8

function inputsYaml(a: ActionDef) {
  return Object.fromEntries(
    Object.entries(a.inputs).map(([name, i]) => [
      name,
      {
        description: i.description,
        required: i.required ?? false,
        ...(i.default !== undefined && { default: i.default }),
      },
    ]),
  );
}

/** The metadata every action.yml shares: name, description, author, branding, inputs. */
function header(a: ActionDef) {
  return {
    name: a.name,
    description: a.description,
    author: 'wasm-build',
    branding: { icon: a.icon, color: 'purple' },
    inputs: inputsYaml(a),
  };
}

function stageAction(a: ActionDef) {
  return {
    ...header(a),
    outputs: Object.fromEntries(Object.entries(a.outputs).map(([n, d]) => [n, { description: d }])),
    runs: { using: 'node24', main: 'dist/index.cjs' },
  };
}

// The root action composes Swatinem/rust-cache (a node action cannot call another action) with our bundle, passing
// every input as the INPUT_<NAME> variable @actions/core reads, through env: (never interpolated into the script).
function rootAction(a: ActionDef) {
  const env = Object.fromEntries(Object.keys(a.inputs).map((n) => [`INPUT_${n.toUpperCase()}`, `\${{ inputs.${n} }}`]));
  return {
    ...header(a),
    outputs: Object.fromEntries(
      Object.entries(a.outputs).map(([n, d]) => [n, { description: d, value: `\${{ steps.run.outputs.${n} }}` }]),
    ),
    runs: {
      using: 'composite',
      steps: [
        {
          name: 'Cache cargo registry and target/',
          if: "inputs.cache == 'true'",
          uses: RUST_CACHE,
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not JS
          with: { workspaces: '${{ inputs.manifest-path }} -> target', 'prefix-key': 'wasm-build-v1' },
        },
        {
          name: 'wasm-build',
          id: 'run',
          shell: 'bash',
          env,
          run: 'node "$GITHUB_ACTION_PATH/actions/wasm-build/dist/index.cjs"',
        },
      ],
    },
  };
}

const HEADER = '# Generated from actions/definitions.ts by `npm run actions`: edit that file, not this one.\n';

function tables(actionYml: string): string {
  const y = parse(actionYml) as {
    inputs: Record<string, { description: string; required: boolean; default?: string }>;
    outputs: Record<string, { description: string }>;
  };
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const inputs = Object.entries(y.inputs).map(
    ([n, i]) =>
      `| \`${n}\` | ${i.required ? 'yes' : 'no'} | ${i.default !== undefined ? `\`${i.default}\`` : ''} | ${cell(i.description)} |`,
  );
  const outputs = Object.entries(y.outputs).map(([n, o]) => `| \`${n}\` | ${cell(o.description)} |`);
  return [
    '### Inputs',
    '',
    '| input | required | default | description |',
    '| --- | --- | --- | --- |',
    ...inputs,
    '',
    '### Outputs',
    '',
    '| output | description |',
    '| --- | --- |',
    ...outputs,
  ].join('\n');
}

const START = '<!-- action-tables:start (npm run actions) -->';
const END = '<!-- action-tables:end -->';

function withTables(readme: string, t: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < 0) throw new Error(`README has no ${START} … ${END} markers`);
  return `${readme.slice(0, a + START.length)}\n${t}\n${readme.slice(b)}`;
}

function stageReadme(a: ActionDef): string {
  const required = Object.entries(a.inputs).filter(([, i]) => i.required);
  const withBlock = required.length ? `\n        with:\n${required.map(([n]) => `          ${n}: …`).join('\n')}` : '';
  return `# ${a.name}\n\n${a.description}\n\n\`\`\`yaml\n      - uses: org/wasm-build/actions/${a.dir}@v1${withBlock}\n\`\`\`\n\n${START}\n${END}\n`;
}

for (const a of ACTIONS) {
  const isRoot = a.dir === 'wasm-build';
  const ymlPath = isRoot ? join(ROOT, 'action.yml') : join(ROOT, 'actions', a.dir, 'action.yml');
  const yml = HEADER + stringify(isRoot ? rootAction(a) : stageAction(a), { lineWidth: 0 });
  writeFileSync(ymlPath, yml);
  const readmePath = isRoot ? join(ROOT, 'README.md') : join(ROOT, 'actions', a.dir, 'README.md');
  const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : stageReadme(a);
  writeFileSync(readmePath, withTables(readme, tables(yml)));
}
