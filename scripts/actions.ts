// Writes every action.yml from actions/definitions.ts, then each README's input/output tables from the action.yml
// files (`npm run actions`). check-dist runs it and fails when the committed files differ.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ACTIONS, type ActionDef } from '../actions/definitions.ts';

const ROOT = new URL('..', import.meta.url).pathname;

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

// The root action is a node24 action, not a composite over Swatinem/rust-cache: its main step resolves and
// installs the toolchain first and only then computes the cargo cache key (rust-cache keys on the rustc on PATH,
// which the toolchain is not yet), and it runs on the runner's own node24, also in `container:` jobs. The post
// step saves the cache (`post-if: success()`, as rust-cache saves only after a passing job).
function rootAction(a: ActionDef) {
  return {
    ...header(a),
    outputs: Object.fromEntries(Object.entries(a.outputs).map(([n, d]) => [n, { description: d }])),
    runs: {
      using: 'node24',
      main: 'actions/wasm-build/dist/index.cjs',
      post: 'actions/wasm-build/dist/post.cjs',
      'post-if': 'success()',
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
