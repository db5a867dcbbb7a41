// The only file of the root action that reads inputs.
import * as core from '@actions/core';
import { readInputs } from '@wasm-build/kit';
import { binaryenSchema, checkOptionPairs, pipelineSchema, runtimeToolsSchema } from '@wasm-build/pipeline';
import * as z from 'zod';
import { inputSpec } from '../../definitions.ts';

export const schema = pipelineSchema
  .extend(binaryenSchema.shape)
  .extend(runtimeToolsSchema.shape)
  .extend({ cache: z.boolean().default(true) })
  .superRefine(checkOptionPairs);
export type Inputs = z.output<typeof schema>;

/**
 * Reads and validates every input, bounds and the pairs `checkOptionPairs` compares included (an RE2
 * expect-stdout, a usable preopen, wasm-opt-args naming no file); the password is masked before anything can print it.
 * @throws UserError naming the input and the bad value, before any work.
 */
export function getInputs(): Inputs {
  const password = core.getInput('password');
  if (password) core.setSecret(password);
  return readInputs(schema, inputSpec('wasm-build'));
}
