// The only file of the smoke-test action that reads inputs.
import { readInputs } from '@wasm-build/kit';
import { pipelineSchema } from '@wasm-build/pipeline';
import { z } from 'zod';
import { inputSpec } from '../../definitions.ts';

export const schema = pipelineSchema
  .pick({ smokeArgs: true, smokeEnv: true, expectStdout: true, expectExitCode: true, timeoutMs: true })
  .extend({ wasm: z.string().min(1) });
export type Inputs = z.output<typeof schema>;

/** Reads and validates every input. @throws UserError naming the input and the bad value, before any work. */
export function getInputs(): Inputs {
  return readInputs(schema, inputSpec('smoke-test'));
}
