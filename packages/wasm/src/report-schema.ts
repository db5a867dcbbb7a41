// The verify report's JSON shape as a schema: the contract of `wasm-build verify --json`, the verify action's
// `report` output and schemas/verify-report.v1.json (generated from this file by `npm run schema`).
import * as z from 'zod';
import type { CheckResult } from './checks.ts';
import { FEATURES, REPORT_SCHEMA, type VerifyReport } from './report.ts';
import { RUNTIMES, type RuntimeFit } from './runtime-fit.ts';
import type { Validity } from './validate.ts';

const count = z.number().int().nonnegative();
const externKind = z.enum(['func', 'table', 'memory', 'global', 'tag']);

const limits = z.strictObject({
  min: count.describe('Initial size in 64 KiB pages'),
  max: count.optional().describe('Maximum size in 64 KiB pages; absent when the module sets none'),
  shared: z.boolean().describe('Shared memory (threads proposal)'),
  index64: z.boolean().describe('64-bit index type (memory64)'),
});

const memory = z.strictObject({
  index: count.describe('Index in the memory index space, imports first'),
  limits,
  import: z
    .strictObject({ module: z.string(), name: z.string() })
    .optional()
    .describe('Set when the memory is imported, e.g. env.memory'),
  exports: z.array(z.string()).describe('Export names of this memory'),
});

const featureUse = z.strictObject({
  used: z
    .union([z.boolean(), z.literal('unknown')])
    .describe('"unknown" where the binary was not analysed (a component): never false without proof'),
  evidence: z.string().describe('Why: the memory, instruction counts or types that prove it'),
});

const atomics = z.strictObject({
  load: count,
  store: count,
  rmw: count,
  cmpxchg: count,
  waitNotify: count.describe('memory.atomic.wait32/wait64 and memory.atomic.notify'),
  fence: count,
  total: count,
});

const check = z.strictObject({
  name: z.string().describe('e.g. "require threads", "compat-smart entrypoint", "max size"'),
  status: z.enum(['pass', 'fail', 'warn']),
  message: z.string().describe('What was found, with the evidence; on failure also the fix'),
});

const runtime = z.strictObject({
  runtime: z.enum(RUNTIMES),
  status: z.enum(['runs', 'needs-flag', 'cannot', 'invalid', 'unknown']),
  flags: z.array(z.string()).describe('Flags the runtime needs, e.g. --enable-threads'),
  reason: z.string().describe("What decides it: the import, feature or missing export, in the runtime's own words"),
  source: z.string().describe('Where the facts come from (RUNTIME-OUTCOMES.tsv rows, upstream code or docs)'),
  profile: z.string().describe('The runtime profile held against, with the versions it holds for'),
});

const validity = z.strictObject({
  status: z.enum(['valid', 'invalid', 'unknown']),
  validator: z.string().describe('e.g. "V8 11.3.244.8-node.33 (Node v20.20.2)"'),
  message: z.string().optional().describe("The validator's message"),
  offset: count.optional().describe('Byte offset the validator names'),
  missing: z.array(z.string()).optional().describe('For unknown: proposals the validator lacks that the module uses'),
});

const reportShape = {
  $schema: z.literal(REPORT_SCHEMA).describe('This schema'),
  kind: z.enum(['module', 'component']).describe('A core module, or a component-model binary (not analysed)'),
  size: count.describe('Size of the binary, bytes'),
  sections: z.array(z.strictObject({ name: z.string(), size: count.describe('bytes') })),
  memories: z.array(memory),
  imports: z.array(
    z.strictObject({ module: z.string(), name: z.string(), kind: externKind, typeIndex: count.optional() }),
  ),
  exports: z.array(z.strictObject({ name: z.string(), kind: externKind, index: count })),
  targetFeatures: z
    .array(z.string())
    .nullable()
    .describe('The target_features custom section as declared, e.g. ["+atomics"]; null when absent'),
  features: z.strictObject(
    Object.fromEntries(FEATURES.map((f) => [f, featureUse])) as Record<(typeof FEATURES)[number], typeof featureUse>,
  ),
  atomics: atomics.describe('Atomic (0xFE) instructions in function bodies, by kind'),
  instructions: count.describe('Instructions in all function bodies'),
  wasi: z.strictObject({
    preview1Imports: count.describe('Imports from wasi_snapshot_preview1'),
    unstableImports: count.describe('Imports from wasi_unstable (preview0)'),
    threadSpawnImport: z.boolean().describe('Imports wasi/thread-spawn (wasi-threads)'),
    threadStartExport: z.boolean().describe('Exports wasi_thread_start (wasi-threads)'),
    version: z.enum(['preview1', 'unstable', 'component', 'none']),
  }),
  undeclared: z
    .array(z.enum(FEATURES))
    .describe('Features used but not declared in target_features (only when the section exists)'),
  targetFeaturesError: z
    .string()
    .optional()
    .describe('Why the target_features section was ignored: it is malformed (Core spec 5.5.3 keeps the module valid)'),
};

/**
 * The verify document: the report plus the checks that ran and the runtime fit. `wasm-build verify --json` prints
 * it; the verify action sets it as its `report` output. Version 1: fields may be added; a removal or a change of
 * meaning gets a new `$schema`.
 */
export const verifyDocumentSchema = z
  .strictObject({
    ...reportShape,
    validity: validity.describe('Whether a complete validator (the engine of the Node running verify) accepts it'),
    checks: z.array(check).describe('The checks that ran, in order'),
    runtimes: z.array(runtime).describe('Whether WasmEdge, crun+WasmEdge, wasmtime and Node can run the module'),
  })
  .meta({
    $id: REPORT_SCHEMA,
    title: 'wasm-build verify report',
    description:
      'What wasm-build verify proves about a WebAssembly binary: features used with evidence, checks, runtime fit.',
  });

/** A report with the checks that ran over it and the runtime fit. */
export type VerifyDocument = VerifyReport & { validity: Validity; checks: CheckResult[]; runtimes: RuntimeFit[] };

// Compile-time proof that the schema and the TypeScript types describe the same shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesTypes: Same<z.output<typeof verifyDocumentSchema>, VerifyDocument> = true;
void schemaMatchesTypes;

/** Joins a report, its validity, its checks and the runtime fit into the document `verifyDocumentSchema` describes. */
export function verifyDocument(
  report: VerifyReport,
  validity: Validity,
  checks: CheckResult[],
  runtimes: RuntimeFit[],
): VerifyDocument {
  return { ...report, validity, checks, runtimes };
}

/** The JSON Schema (draft 2020-12) of the verify document, as written to schemas/verify-report.v1.json. */
export function verifyDocumentJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(verifyDocumentSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
}
