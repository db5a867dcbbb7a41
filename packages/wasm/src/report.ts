import type { AtomicCounts, BinaryInfo, ExportInfo, ImportInfo, MemoryInfo, ModuleInfo } from './types.ts';
import { atomicTotal } from './types.ts';

/** Features the report speaks of; names follow the WebAssembly proposals (and binaryen's flags where they differ). */
export const FEATURES = [
  'threads',
  'shared-memory',
  'atomics',
  'simd',
  'relaxed-simd',
  'bulk-memory',
  'sign-ext',
  'nontrapping-float-to-int',
  'reference-types',
  'multivalue',
  'mutable-globals',
  'tail-call',
  'exception-handling',
  'gc',
  'multimemory',
  'memory64',
] as const;
export type Feature = (typeof FEATURES)[number];

export interface FeatureUse {
  /** `unknown` where the binary was not analysed (a component's core modules are not decoded). */
  used: boolean | 'unknown';
  /** Why we say so, e.g. "imported memory env.memory is shared (min 17, max 16384 pages)". */
  evidence: string;
}

/** Version of the report's JSON shape; bumped on any breaking change. */
export const REPORT_SCHEMA = 'https://wasm-build.dev/schemas/verify-report/v1';

/** What verify proves about a binary. Sizes in bytes, memory limits in 64 KiB pages. */
export interface VerifyReport {
  $schema: typeof REPORT_SCHEMA;
  kind: 'module' | 'component';
  size: number;
  sections: { name: string; size: number }[];
  memories: MemoryInfo[];
  imports: ImportInfo[];
  exports: ExportInfo[];
  /** The `target_features` section as declared, e.g. ["+atomics", "+bulk-memory"]; null when absent. */
  targetFeatures: string[] | null;
  features: Record<Feature, FeatureUse>;
  atomics: AtomicCounts & { total: number };
  instructions: number;
  wasi: {
    /** Number of `wasi_snapshot_preview1` imports. */
    preview1Imports: number;
    /** Number of `wasi_unstable` (preview0) imports: neither WasmEdge, crun nor node:wasi provides them. */
    unstableImports: number;
    /** `wasi`/`thread-spawn` import and `wasi_thread_start` export (wasi-threads). */
    threadSpawnImport: boolean;
    threadStartExport: boolean;
    version: 'preview1' | 'unstable' | 'component' | 'none';
  };
  /** Features used but not declared in `target_features` (only when the section exists). */
  undeclared: Feature[];
  /** Set when the `target_features` section is malformed: it is then ignored (Core spec §5.5.3). */
  targetFeaturesError?: string;
}

// LLVM/Rust `target_features` names for our features (tool-conventions Linking.md; LLVM WebAssembly.td).
const TARGET_FEATURE_NAMES: Partial<Record<Feature, string[]>> = {
  atomics: ['atomics'],
  'shared-memory': ['atomics', 'shared-mem'],
  simd: ['simd128'],
  'relaxed-simd': ['relaxed-simd'],
  'bulk-memory': ['bulk-memory', 'bulk-memory-opt'],
  'sign-ext': ['sign-ext'],
  'nontrapping-float-to-int': ['nontrapping-fptoint'],
  'reference-types': ['reference-types'],
  multivalue: ['multivalue'],
  'mutable-globals': ['mutable-globals'],
  'tail-call': ['tail-call'],
  'exception-handling': ['exception-handling'],
  gc: ['gc'],
  multimemory: ['multimemory'],
  memory64: ['memory64'],
};

function describeMemory(m: MemoryInfo): string {
  const where = m.import ? `imported memory ${m.import.module}.${m.import.name}` : `memory ${m.index}`;
  const max = m.limits.max === undefined ? 'no max' : `max ${m.limits.max}`;
  return `${where} (min ${m.limits.min}, ${max} pages${m.limits.shared ? ', shared' : ''})`;
}

function use(used: boolean, yes: string, no: string): FeatureUse {
  return { used, evidence: used ? yes : no };
}

function moduleFeatures(m: ModuleInfo): Record<Feature, FeatureUse> {
  const c = m.instructions;
  const atomics = atomicTotal(c.atomic);
  const shared = m.memories.filter((x) => x.limits.shared);
  const atomicKinds = Object.entries(c.atomic)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const multiResult = m.funcTypes.filter((t) => t && t.results > 1).length;
  const gcTypeDefs = m.funcTypes.filter((t) => t === undefined).length;
  const mutableGlobalsIo =
    m.globals.filter((g) => g.mutable && g.imported).length +
    m.exports.filter((e) => e.kind === 'global' && m.globals[e.index]?.mutable).length;
  const sharedMemory = use(
    shared.length > 0,
    shared.map(describeMemory).join('; '),
    m.memories.length === 0 ? 'the module has no memory' : `${m.memories.map(describeMemory).join('; ')}: not shared`,
  );
  return {
    threads: use(
      shared.length > 0 && atomics > 0,
      `shared memory and ${atomics} atomic instructions`,
      [!sharedMemory.used && 'no shared memory', atomics === 0 && 'no atomic instruction']
        .filter(Boolean)
        .join(' and '),
    ),
    'shared-memory': sharedMemory,
    atomics: use(
      atomics > 0,
      `${atomics} atomic instructions (${atomicKinds})`,
      'no atomic (0xFE) instruction in any function body',
    ),
    simd: use(c.simd > 0, `${c.simd} SIMD (0xFD) instructions`, 'no SIMD instruction'),
    'relaxed-simd': use(c.relaxedSimd > 0, `${c.relaxedSimd} relaxed SIMD instructions`, 'no relaxed SIMD instruction'),
    'bulk-memory': use(c.bulkMemory > 0, `${c.bulkMemory} bulk memory instructions`, 'no bulk memory instruction'),
    'sign-ext': use(c.signExt > 0, `${c.signExt} sign-extension instructions`, 'no sign-extension instruction'),
    'nontrapping-float-to-int': use(
      c.nontrappingFloatToInt > 0,
      `${c.nontrappingFloatToInt} saturating float-to-int instructions`,
      'no saturating float-to-int instruction',
    ),
    'reference-types': use(
      c.referenceTypes > 0,
      `${c.referenceTypes} reference-type instructions`,
      'no reference-type instruction',
    ),
    multivalue: use(
      multiResult > 0 || m.usesTypedBlocks,
      [
        multiResult > 0 && `${multiResult} function types with several results`,
        m.usesTypedBlocks && 'blocks typed by type index',
      ]
        .filter(Boolean)
        .join('; '),
      'no function type with several results, no typed block',
    ),
    'mutable-globals': use(
      mutableGlobalsIo > 0,
      `${mutableGlobalsIo} mutable globals imported or exported`,
      'no mutable global imported or exported',
    ),
    'tail-call': use(c.tailCall > 0, `${c.tailCall} tail calls`, 'no tail call'),
    'exception-handling': use(
      c.exceptions + c.exceptionsLegacy > 0 || m.tags > 0,
      `${c.exceptions} exception instructions, ${c.exceptionsLegacy} legacy, ${m.tags} tags`,
      'no exception instruction or tag',
    ),
    gc: use(
      c.gc > 0 || m.gcTypes > 0 || gcTypeDefs > 0,
      [
        c.gc > 0 && `${c.gc} GC / typed function reference instructions`,
        m.gcTypes > 0 && `${m.gcTypes} GC / typed reference types`,
        gcTypeDefs > 0 && `${gcTypeDefs} struct or array types`,
      ]
        .filter(Boolean)
        .join('; '),
      'no GC instruction, reference type or struct/array type',
    ),
    multimemory: use(
      m.memories.length > 1 || c.multiMemory > 0,
      `${m.memories.length} memories, ${c.multiMemory} instructions on a memory other than 0`,
      'at most one memory',
    ),
    memory64: use(
      m.memories.some((x) => x.limits.index64),
      'a 64-bit memory',
      'no 64-bit memory',
    ),
  };
}

/**
 * Builds the feature report for a decoded binary: for each feature whether the module uses it and the evidence,
 * atomics by kind, WASI imports, wasi-threads markers, and features used but not declared in `target_features`.
 * A component is reported as such, every feature `unknown` (its core modules are not decoded).
 *
 * Pure: no I/O. Sources: WebAssembly proposals (threads, SIMD, ...); wasi-threads (WebAssembly/wasi-threads
 * README: `wasi`/`thread-spawn` import, `wasi_thread_start` export); tool-conventions Linking.md (target_features).
 */
export function buildReport(info: BinaryInfo): VerifyReport {
  if (info.kind === 'component') {
    const none = Object.fromEntries(
      FEATURES.map((f) => [
        f,
        { used: 'unknown', evidence: 'a component: its core modules are not decoded, so this cannot be proven' },
      ]),
    );
    return {
      $schema: REPORT_SCHEMA,
      kind: 'component',
      size: info.size,
      sections: [],
      memories: [],
      imports: [],
      exports: [],
      targetFeatures: null,
      features: none as Record<Feature, FeatureUse>,
      atomics: { load: 0, store: 0, rmw: 0, cmpxchg: 0, waitNotify: 0, fence: 0, total: 0 },
      instructions: 0,
      wasi: {
        preview1Imports: 0,
        unstableImports: 0,
        threadSpawnImport: false,
        threadStartExport: false,
        version: 'component',
      },
      undeclared: [],
    };
  }
  const features = moduleFeatures(info);
  const p1 = info.imports.filter((i) => i.module === 'wasi_snapshot_preview1').length;
  const unstable = info.imports.filter((i) => i.module === 'wasi_unstable').length;
  const declared = info.targetFeatures?.filter((t) => t.prefix !== '-').map((t) => t.name);
  const undeclared = declared
    ? FEATURES.filter((f) => {
        const names = TARGET_FEATURE_NAMES[f];
        return features[f].used && names && !names.some((n) => declared.includes(n));
      })
    : [];
  return {
    $schema: REPORT_SCHEMA,
    kind: 'module',
    size: info.size,
    sections: info.sections.map((s) => ({ name: s.name, size: s.size })),
    memories: info.memories,
    imports: info.imports,
    exports: info.exports,
    targetFeatures: info.targetFeatures ? info.targetFeatures.map((t) => `${t.prefix}${t.name}`) : null,
    features,
    atomics: { ...info.instructions.atomic, total: atomicTotal(info.instructions.atomic) },
    instructions: info.instructions.total,
    wasi: {
      preview1Imports: p1,
      unstableImports: unstable,
      threadSpawnImport: info.imports.some(
        (i) => i.module === 'wasi' && i.name === 'thread-spawn' && i.kind === 'func',
      ),
      threadStartExport: info.exports.some((e) => e.name === 'wasi_thread_start' && e.kind === 'func'),
      version: p1 > 0 ? 'preview1' : unstable > 0 ? 'unstable' : 'none',
    },
    undeclared,
    ...(info.targetFeaturesError ? { targetFeaturesError: info.targetFeaturesError } : {}),
  };
}
