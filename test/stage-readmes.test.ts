// The chained example in each stage action's README: every input it gives exists in that action.yml, and every
// `steps.ID.outputs.NAME` it reads is an output of the step it names, so the example cannot drift from the actions.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '..');
const STAGES = ['setup', 'build', 'verify', 'image', 'smoke-test'];
const actionYml = (name: string) =>
  parse(readFileSync(join(ROOT, 'actions', name, 'action.yml'), 'utf8')) as {
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
  };

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, string>;
}

describe.each(STAGES)('actions/%s/README.md', (stage) => {
  const readme = readFileSync(join(ROOT, 'actions', stage, 'README.md'), 'utf8');
  const chained = readme.split('## All five stages, chained')[1]?.match(/```yaml\n([\s\S]*?)```/)?.[1];

  it('has the chained example', () => {
    expect(chained).toBeDefined();
  });

  it('gives only inputs the actions have, and reads only outputs the named steps have', () => {
    const steps = (parse(chained!) as { steps: Step[] }).steps;
    const ours = steps.filter((s) => s.uses?.startsWith('org/wasm-build/actions/'));
    expect(ours.map((s) => /actions\/([\w-]+)@/.exec(s.uses!)![1])).toEqual(STAGES);
    const byId = new Map(ours.filter((s) => s.id).map((s) => [s.id!, /actions\/([\w-]+)@/.exec(s.uses!)![1]]));
    const problems: string[] = [];
    for (const s of ours) {
      const name = /actions\/([\w-]+)@/.exec(s.uses!)![1];
      const inputs = Object.keys(actionYml(name).inputs ?? {});
      for (const [key, value] of Object.entries(s.with ?? {})) {
        if (!inputs.includes(key)) problems.push(`${name}: no input "${key}"`);
        for (const m of String(value).matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          const from = byId.get(m[1]);
          if (!from) problems.push(`${name}.${key}: no step "${m[1]}" before it`);
          else if (!Object.keys(actionYml(from).outputs ?? {}).includes(m[2]))
            problems.push(`${name}.${key}: ${from} has no output "${m[2]}"`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('is the same example in every stage README', () => {
    const first = readFileSync(join(ROOT, 'actions', STAGES[0], 'README.md'), 'utf8').split(
      '## All five stages, chained',
    )[1];
    expect(readme.split('## All five stages, chained')[1].split('<!-- action-tables:start')[0]).toBe(
      first.split('<!-- action-tables:start')[0],
    );
  });
});
