import * as core from '@actions/core';
import { afterEach, describe, expect, it } from 'vitest';
import { routeWorkflowCommands } from '../src/terminal.ts';

describe('routeWorkflowCommands', () => {
  let restore = () => {};
  afterEach(() => restore());
  const capture = () => {
    const lines: string[] = [];
    return { lines, stream: { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream };
  };

  it("moves @actions/core's workflow commands off stdout: debug only when verbose, warnings always, unescaped", () => {
    const err = capture();
    let verbose = false;
    const out: string[] = [];
    const real = process.stdout.write;
    process.stdout.write = ((s: string) => out.push(s) > 0) as typeof process.stdout.write;
    try {
      restore = routeWorkflowCommands(() => verbose, {}, err.stream);
      core.debug('hidden');
      verbose = true;
      core.debug('shown');
      core.warning('two\nlines 100%');
      core.startGroup('g');
      process.stdout.write('our own line\n');
      restore();
    } finally {
      process.stdout.write = real;
    }
    expect(err.lines).toEqual(['debug: shown\n', 'warning: two\nlines 100%\n']);
    expect(out).toEqual(['our own line\n']);
  });

  it('does nothing under GitHub Actions', () => {
    const before = process.stdout.write;
    restore = routeWorkflowCommands(() => true, { GITHUB_ACTIONS: 'true' });
    expect(process.stdout.write).toBe(before);
  });
});
