// The only file of the setup action that reads inputs.
import { readInputs } from '@wasm-build/kit';
import { binaryenSchema, pipelineSchema } from '@wasm-build/pipeline';
import type { z } from 'zod';
import { inputSpec } from '../../definitions.ts';

export const schema = pipelineSchema
  .pick({ manifestPath: true, toolchain: true, target: true, threads: true })
  .extend(binaryenSchema.shape);
export type Inputs = z.output<typeof schema>;

/** Reads and validates every input. @throws UserError naming the input and the bad value, before any work. */
export function getInputs(): Inputs {
  return readInputs(schema, inputSpec('setup'));
}
