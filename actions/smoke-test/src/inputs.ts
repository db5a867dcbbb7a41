// The only file of the smoke-test action that reads inputs.
import * as core from '@actions/core';
import { readInputs, UserError } from '@wasm-build/kit';
import { checkOptionPairs, pathString, pipelineSchema, runtimeToolsSchema } from '@wasm-build/pipeline';
import type { z } from 'zod';
import { inputSpec } from '../../definitions.ts';

export const schema = pipelineSchema
  .pick({
    image: true,
    layoutDir: true,
    insecure: true,
    username: true,
    password: true,
    smokeArgs: true,
    smokeEnv: true,
    expectStdout: true,
    expectStdoutRegex: true,
    expectExitCode: true,
    timeoutMs: true,
    runtimes: true,
    allowIncompatible: true,
    preopen: true,
    preopenAllowRoot: true,
  })
  .extend(runtimeToolsSchema.shape)
  .extend({ wasm: pathString().optional() })
  .superRefine(checkOptionPairs);
export type Inputs = z.output<typeof schema>;

/**
 * Reads and validates every input, bounds and the pairs `checkOptionPairs` compares included (an RE2
 * expect-stdout, a usable preopen); the password is masked first.
 * @throws UserError naming the input and the bad value, or when not exactly one of image, layout-dir, wasm is given.
 */
export function getInputs(): Inputs {
  const password = core.getInput('password');
  if (password) core.setSecret(password);
  const i = readInputs(schema, inputSpec('smoke-test'));
  const given = (['image', 'layoutDir', 'wasm'] as const).filter((k) => i[k] !== undefined);
  if (given.length !== 1) {
    throw new UserError(
      `Give exactly one of the inputs image, layout-dir and wasm (got ${given.length ? given.map((k) => (k === 'layoutDir' ? 'layout-dir' : k)).join(', ') : 'none'})`,
      {
        fix: 'image: the image-ref output of the image action; layout-dir: its layout-dir output; wasm: a module path',
      },
    );
  }
  return i;
}
