/** Limits of a memory or table, in pages (64 KiB) for memories and elements for tables. */
export interface Limits {
  min: number;
  /** Absent when the module sets no maximum. */
  max?: number;
  shared: boolean;
  /** memory64 / table64: the index type is i64. */
  index64: boolean;
}

export interface MemoryInfo {
  /** Index in the memory index space (imports first). */
  index: number;
  limits: Limits;
  /** Set when the memory is imported, e.g. `{ module: 'env', name: 'memory' }`. */
  import?: { module: string; name: string };
  /** Export names of this memory. */
  exports: string[];
}

export type ExternKind = 'func' | 'table' | 'memory' | 'global' | 'tag';

export interface ImportInfo {
  module: string;
  name: string;
  kind: ExternKind;
  /** For functions: the type index. */
  typeIndex?: number;
}

export interface ExportInfo {
  name: string;
  kind: ExternKind;
  index: number;
}

/** A section as it stands in the binary: id, name for custom sections, byte offset and size of its contents. */
export interface SectionInfo {
  id: number;
  name: string;
  /** Offset of the section's contents (after id and size), bytes. */
  offset: number;
  /** Size of the section's contents, bytes. */
  size: number;
}

/** One `target_features` entry: prefix `+` used, `-` disallowed, `=` required (tool-conventions Linking.md). */
export interface TargetFeature {
  prefix: '+' | '-' | '=';
  name: string;
}

/** Atomic (0xFE-prefixed) instructions by kind. */
export interface AtomicCounts {
  load: number;
  store: number;
  rmw: number;
  cmpxchg: number;
  /** memory.atomic.wait32/wait64 and memory.atomic.notify. */
  waitNotify: number;
  fence: number;
}

/**
 * Instruction counts over all function bodies (constant expressions excluded, as `wasm-objdump -d` shows only
 * code), grouped by the proposal that introduced them.
 */
export interface InstructionCounts {
  total: number;
  atomic: AtomicCounts;
  /** 0xFD instructions of the fixed-width SIMD proposal (v128). */
  simd: number;
  /** 0xFD 0x100–0x113: relaxed SIMD. */
  relaxedSimd: number;
  /** memory.copy/fill/init, data.drop, table.copy/init, elem.drop. */
  bulkMemory: number;
  /** i32.trunc_sat_f32_s and the other 0xFC 0x00–0x07 instructions. */
  nontrappingFloatToInt: number;
  /** i32.extend8_s and the other 0xC0–0xC4 instructions. */
  signExt: number;
  /** ref.null/is_null/func, typed select, table.get/set/grow/size/fill. */
  referenceTypes: number;
  /** return_call, return_call_indirect, return_call_ref. */
  tailCall: number;
  /** try/catch/catch_all/rethrow/delegate (legacy exception handling). */
  exceptionsLegacy: number;
  /** throw, throw_ref, try_table (exception handling as standardised). */
  exceptions: number;
  /** 0xFB instructions and the typed function reference instructions (call_ref, br_on_null, ...). */
  gc: number;
  /** Memory instructions naming a memory other than 0. */
  multiMemory: number;
}

/** Everything the decoder learned about a core module. */
export interface ModuleInfo {
  kind: 'module';
  /** Size of the binary, bytes. */
  size: number;
  sections: SectionInfo[];
  /** Number of types in the type section (all rec-group members counted). */
  typeCount: number;
  /** Function types' result counts, for the multi-value check (undefined for non-function types). */
  funcTypes: ({ params: number; results: number } | undefined)[];
  imports: ImportInfo[];
  exports: ExportInfo[];
  memories: MemoryInfo[];
  tables: { limits: Limits; imported: boolean }[];
  globals: { mutable: boolean; imported: boolean }[];
  tags: number;
  /** Functions defined in the module (not imported). */
  functionCount: number;
  /** `target_features` custom section, absent when the module has none (or it is malformed). */
  targetFeatures?: TargetFeature[];
  /** Why the `target_features` section could not be read, when it is malformed (the module stays valid). */
  targetFeaturesError?: string;
  customSections: string[];
  instructions: InstructionCounts;
  /** Set when a block type names a type index (multi-value block signatures). */
  usesTypedBlocks: boolean;
  /**
   * Reference types of the GC / typed function references proposals (any, eq, i31, struct, array, none, noextern,
   * nofunc, or `ref`/`ref null` with a heap type), counted wherever a type is read.
   */
  gcTypes: number;
  startFunction?: number;
  dataCount?: number;
  dataSegments: number;
  elementSegments: number;
}

/** A component-model binary (version 0x0d, layer 1): recognised, not decoded. */
export interface ComponentInfo {
  kind: 'component';
  size: number;
  /** The 16-bit component-model version from the header. */
  version: number;
}

export type BinaryInfo = ModuleInfo | ComponentInfo;

export function emptyCounts(): InstructionCounts {
  return {
    total: 0,
    atomic: { load: 0, store: 0, rmw: 0, cmpxchg: 0, waitNotify: 0, fence: 0 },
    simd: 0,
    relaxedSimd: 0,
    bulkMemory: 0,
    nontrappingFloatToInt: 0,
    signExt: 0,
    referenceTypes: 0,
    tailCall: 0,
    exceptionsLegacy: 0,
    exceptions: 0,
    gc: 0,
    multiMemory: 0,
  };
}

/** Sum of all atomic instructions. */
export function atomicTotal(c: AtomicCounts): number {
  return c.load + c.store + c.rmw + c.cmpxchg + c.waitNotify + c.fence;
}
