import { decodeBody } from './code.ts';
import { wasmScanner } from './code-wasm.ts';
import { WasmParseError } from './errors.ts';
import { decodeExpr, type ExprContext } from './instructions.ts';
import { ByteReader } from './reader.ts';
import type { BinaryInfo, ExternKind, Limits, MemoryInfo, ModuleInfo, TargetFeature } from './types.ts';
import { emptyCounts } from './types.ts';
import { readRefType, readValType } from './valtypes.ts';

const SECTION_NAMES = [
  'custom',
  'type',
  'import',
  'function',
  'table',
  'memory',
  'global',
  'export',
  'start',
  'element',
  'code',
  'data',
  'datacount',
  'tag',
];
// Position of each known section id in the required order (tag sits between memory and global; datacount
// between element and code).
const SECTION_ORDER: Record<number, number> = {
  1: 1,
  2: 2,
  3: 3,
  4: 4,
  5: 5,
  13: 6,
  6: 7,
  7: 8,
  8: 9,
  9: 10,
  12: 11,
  10: 12,
  11: 13,
};
const EXTERN_KINDS: ExternKind[] = ['func', 'table', 'memory', 'global', 'tag'];
const MAX_PAGES_32 = 65536;
const MAX_PAGES_64 = 2 ** 48;

function readLimits(r: ByteReader, what: 'memory' | 'table'): Limits {
  const at = r.pos;
  const flags = r.u8(); // a byte, not a LEB128 (binary.wast: 0x81 0x00 is malformed)
  const allowed = what === 'memory' ? 0x07 : 0x05;
  if ((flags & ~allowed) !== 0)
    r.fail('malformed limits flags', `${what} limits flags within 0x${allowed.toString(16)}`, at);
  const index64 = (flags & 0x04) !== 0;
  const read = () => (index64 ? r.u64() : r.u32());
  const limits: Limits = { min: read(), shared: (flags & 0x02) !== 0, index64 };
  if (flags & 0x01) limits.max = read();
  if (limits.max !== undefined && limits.min > limits.max) {
    r.fail('size minimum must not be greater than maximum', `min ${limits.min} <= max ${limits.max}`, at, 'invalid');
  }
  if (what === 'memory') {
    const cap = index64 ? MAX_PAGES_64 : MAX_PAGES_32;
    if (limits.min > cap || (limits.max ?? 0) > cap) {
      r.fail(
        `memory size must be at most ${cap} pages${index64 ? '' : ' (4GiB)'}`,
        `limits within ${cap} pages`,
        at,
        'invalid',
      );
    }
    if (limits.shared && limits.max === undefined) {
      r.fail('shared memory must have maximum', 'a maximum on a shared memory', at, 'invalid');
    }
  }
  return limits;
}

function readTableType(r: ByteReader, typeCount: number): Limits {
  readRefType(r, typeCount);
  return readLimits(r, 'table');
}

function readGlobalType(r: ByteReader, typeCount: number): boolean {
  readValType(r, typeCount);
  const at = r.pos;
  const m = r.u8();
  if (m > 1) r.fail('malformed mutability', 'mutability 0x00 or 0x01', at);
  return m === 1;
}

/** A vector count, bounded by the bytes left so hostile counts cannot make us loop. */
function count(r: ByteReader, what: string, minBytesEach = 1): number {
  const at = r.pos;
  const n = r.u32();
  if (n * minBytesEach > r.remaining) r.fail('unexpected end', `${n} ${what} in ${r.remaining} bytes`, at);
  return n;
}

function readTargetFeatures(r: ByteReader): TargetFeature[] {
  const out: TargetFeature[] = [];
  const n = count(r, 'target features', 2);
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    const p = String.fromCharCode(r.u8());
    if (p !== '+' && p !== '-' && p !== '=') r.fail('malformed target_features entry', "a prefix '+', '-' or '='", at);
    out.push({ prefix: p, name: r.name() });
  }
  return out;
}

/**
 * Decodes a WebAssembly binary: a core module completely (every section and every instruction), or a component
 * recognised by its header. Light validation is applied where the spec testsuite expects a module to be rejected
 * without type checking: index spaces (types, memories), limits, section order, function/code and data count
 * consistency, and at most one memory and one table unless `multiMemory` is set.
 *
 * Work is bounded by the input size: every count is checked against the bytes left before it is used.
 *
 * @param bytes the binary, e.g. `readFileSync(path)`
 * @param options `multiMemory`: accept several memories/tables (multi-memory proposal); default false, as the
 *   threads proposal's tests require.
 * @returns `ModuleInfo` (sizes in bytes, limits in pages) or `ComponentInfo`
 * @throws WasmParseError with the byte offset and what was expected; never another exception.
 * Source: WebAssembly Core Specification 2.0 §5.5 (modules), §3.4 (module validation); tool-conventions
 * Linking.md (target_features).
 */
export function decodeModule(bytes: Uint8Array, options: { multiMemory?: boolean } = {}): BinaryInfo {
  try {
    return decode(bytes, options.multiMemory ?? false);
  } catch (e) {
    if (e instanceof WasmParseError) throw e;
    // Defensive: an internal fault must still surface as a parse error with context, not a bare TypeError.
    throw new WasmParseError(
      `internal decoder error (${e instanceof Error ? e.message : String(e)})`,
      0,
      'a decodable module',
    );
  }
}

function decode(input: Uint8Array, multiMemory: boolean): BinaryInfo {
  // A plain Uint8Array view (no copy), whatever the caller passed (a Buffer, a subclass): every read below then
  // sees one kind of object, which keeps V8's element loads monomorphic.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const r = new ByteReader(bytes);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    r.fail('magic header not detected', 'the bytes 00 61 73 6d ("\\0asm")', 0);
  }
  if (bytes.length < 8) r.fail('unexpected end', 'a 4-byte version after the magic', 4);
  const version = bytes[4] | (bytes[5] << 8);
  const layer = bytes[6] | (bytes[7] << 8);
  // Component-model binaries use layer 1 with versions 0x0a–0x0d so far (0x0d today); 00 00 01 00, or any other
  // version, is no known binary at all.
  if (layer === 1 && version >= 0x0a && version <= 0x0d) return { kind: 'component', size: bytes.length, version };
  if (version !== 1 || layer !== 0) r.fail('unknown binary version', 'version 01 00 00 00 (core module)', 4);
  r.pos = 8;

  const info: ModuleInfo = {
    kind: 'module',
    size: bytes.length,
    sections: [],
    typeCount: 0,
    funcTypes: [],
    imports: [],
    exports: [],
    memories: [],
    tables: [],
    globals: [],
    tags: 0,
    functionCount: 0,
    customSections: [],
    instructions: emptyCounts(),
    usesTypedBlocks: false,
    gcTypes: 0,
    dataSegments: 0,
    elementSegments: 0,
  };
  const funcTypeIndices: number[] = [];
  let importedFuncs = 0;
  let codeCount: number | undefined;
  let lastOrder = 0;
  const ctx: ExprContext = { typeCount: 0, memory64: [], hasDataCount: false, counts: null, typedBlocks: false };
  const constExpr = (sr: ByteReader) => {
    ctx.counts = null;
    decodeExpr(sr, ctx);
  };
  const typeIndex = (sr: ByteReader) => {
    const at = sr.pos;
    const t = sr.u32();
    if (t >= info.typeCount) sr.fail('unknown type', `a type index below ${info.typeCount}`, at, 'invalid');
    return t;
  };
  const addMemory = (limits: Limits, imp?: { module: string; name: string }) => {
    info.memories.push({ index: info.memories.length, limits, import: imp, exports: [] } satisfies MemoryInfo);
    ctx.memory64.push(limits.index64);
  };

  while (!r.eof()) {
    const idAt = r.pos;
    const id = r.u8();
    if (id > 13) r.fail('malformed section id', 'a section id 0-13', idAt);
    const size = r.u32();
    const start = r.pos;
    if (size > r.remaining)
      r.fail('length out of bounds', `a section of ${size} bytes (only ${r.remaining} left)`, start);
    const end = start + size;
    const sr = new ByteReader(bytes, start, end, r.typeUse);
    if (id !== 0) {
      const order = SECTION_ORDER[id];
      if (order <= lastOrder)
        r.fail(
          'unexpected content after last section',
          `sections in order, each once (got ${SECTION_NAMES[id]})`,
          idAt,
        );
      lastOrder = order;
    }
    let name = SECTION_NAMES[id];
    switch (id) {
      case 0: {
        name = sr.name();
        info.customSections.push(name);
        // Core spec §5.5.3: an error inside a custom section's contents must not invalidate the module, so a
        // malformed target_features section is reported and ignored (as if absent).
        if (name === 'target_features') {
          try {
            info.targetFeatures = readTargetFeatures(sr);
          } catch (e) {
            if (!(e instanceof WasmParseError)) throw e;
            info.targetFeaturesError = e.message;
          }
        }
        sr.pos = end;
        break;
      }
      case 1: {
        const n = count(sr, 'types');
        for (let i = 0; i < n; i++) readRecType(sr, info);
        break;
      }
      case 2: {
        const n = count(sr, 'imports', 3);
        for (let i = 0; i < n; i++) {
          const module = sr.name();
          const field = sr.name();
          const kindAt = sr.pos;
          const k = sr.u8();
          const kind = EXTERN_KINDS[k];
          if (!kind) sr.fail('malformed import kind', 'an import kind 0-4', kindAt);
          const imp = { module, name: field, kind } as ModuleInfo['imports'][number];
          if (k === 0) {
            imp.typeIndex = typeIndex(sr);
            funcTypeIndices.push(imp.typeIndex);
            importedFuncs++;
          } else if (k === 1) info.tables.push({ limits: readTableType(sr, info.typeCount), imported: true });
          else if (k === 2) addMemory(readLimits(sr, 'memory'), { module, name: field });
          else if (k === 3) info.globals.push({ mutable: readGlobalType(sr, info.typeCount), imported: true });
          else {
            sr.u8();
            typeIndex(sr);
            info.tags++;
          }
          info.imports.push(imp);
        }
        break;
      }
      case 3: {
        const n = count(sr, 'functions');
        for (let i = 0; i < n; i++) funcTypeIndices.push(typeIndex(sr));
        info.functionCount = n;
        break;
      }
      case 4: {
        const n = count(sr, 'tables');
        for (let i = 0; i < n; i++) {
          if (sr.bytes[sr.pos] === 0x40 && sr.pos < end) {
            sr.pos++;
            if (sr.u8() !== 0) sr.fail('malformed table', 'a zero byte after 0x40', sr.pos - 1);
            info.tables.push({ limits: readTableType(sr, info.typeCount), imported: false });
            constExpr(sr);
          } else info.tables.push({ limits: readTableType(sr, info.typeCount), imported: false });
        }
        break;
      }
      case 5: {
        const n = count(sr, 'memories');
        for (let i = 0; i < n; i++) addMemory(readLimits(sr, 'memory'));
        break;
      }
      case 13: {
        const n = count(sr, 'tags', 2);
        for (let i = 0; i < n; i++) {
          sr.u8();
          typeIndex(sr);
        }
        info.tags += n;
        break;
      }
      case 6: {
        const n = count(sr, 'globals', 3);
        for (let i = 0; i < n; i++) {
          info.globals.push({ mutable: readGlobalType(sr, info.typeCount), imported: false });
          constExpr(sr);
        }
        break;
      }
      case 7: {
        const n = count(sr, 'exports', 3);
        for (let i = 0; i < n; i++) {
          const exportName = sr.name();
          const kindAt = sr.pos;
          const kind = EXTERN_KINDS[sr.u8()];
          if (!kind) sr.fail('malformed export kind', 'an export kind 0-4', kindAt);
          const index = sr.u32();
          info.exports.push({ name: exportName, kind, index });
          if (kind === 'memory' && info.memories[index]) info.memories[index].exports.push(exportName);
        }
        break;
      }
      case 8:
        info.startFunction = sr.u32();
        break;
      case 9: {
        const n = count(sr, 'element segments');
        for (let i = 0; i < n; i++) readElement(sr, info.typeCount, constExpr);
        info.elementSegments = n;
        break;
      }
      case 12:
        info.dataCount = sr.u32();
        ctx.hasDataCount = true;
        break;
      case 10: {
        const n = count(sr, 'function bodies');
        codeCount = n;
        if (n !== funcTypeIndices.length - importedFuncs) {
          sr.fail(
            'function and code section have inconsistent lengths',
            `${funcTypeIndices.length - importedFuncs} bodies`,
            start,
            'malformed',
          );
        }
        ctx.counts = info.instructions;
        ctx.typeCount = info.typeCount;
        // The bytes in a memory of moduleBuffer: the WebAssembly scanner takes the entries it accepts (its counts are
        // added at the end); each entry it leaves is read here as always, then it goes on with the next. At most
        // 1024 entries a call, so the calls after V8's tier-up (done in the background) run the optimized code.
        const scanner = wasmScanner(bytes);
        scanner?.begin(bytes, ctx);
        for (let i = 0; i < n; ) {
          if (scanner !== undefined) {
            const want = Math.min(n - i, 1024);
            const got = scanner.entries(sr.pos, end, want);
            i += got.done;
            sr.pos = got.pos;
            if (got.done === want) continue;
          }
          const bodySize = sr.u32();
          const bodyStart = sr.pos;
          if (bodySize > sr.remaining)
            sr.fail('unexpected end of section or function', `a body of ${bodySize} bytes`, bodyStart);
          const bodyEnd = bodyStart + bodySize;
          ctx.counts = info.instructions;
          decodeBody(bytes, bodyStart, bodyEnd, ctx, r.typeUse);
          sr.pos = bodyEnd;
          i++;
        }
        scanner?.finish(info.instructions, ctx);
        break;
      }
      case 11: {
        const n = count(sr, 'data segments');
        if (ctx.hasDataCount && info.dataCount !== n) {
          sr.fail('data count and data section have inconsistent lengths', `${info.dataCount} data segments`, start);
        }
        for (let i = 0; i < n; i++) {
          const flagAt = sr.pos;
          const flags = sr.u32();
          if (flags > 2) sr.fail('malformed data segment flags', 'data segment flags 0, 1 or 2', flagAt);
          if (flags !== 1) {
            const mem = flags === 2 ? sr.u32() : 0;
            if (mem >= info.memories.length)
              sr.fail('unknown memory', `a memory index below ${info.memories.length}`, flagAt, 'invalid');
            constExpr(sr);
          }
          sr.take(sr.u32(), 'bytes of a data segment');
        }
        info.dataSegments = n;
        break;
      }
    }
    ctx.typeCount = info.typeCount;
    if (sr.pos !== end) sr.fail('section size mismatch', `the ${name} section to end at byte ${end}`, sr.pos);
    info.sections.push({ id, name, offset: start, size });
    r.pos = end;
  }
  const definedFuncs = funcTypeIndices.length - importedFuncs;
  if (codeCount === undefined && definedFuncs > 0) {
    r.fail('function and code section have inconsistent lengths', `${definedFuncs} function bodies`, r.pos);
  }
  if (ctx.hasDataCount && info.dataSegments !== info.dataCount && !info.sections.some((s) => s.id === 11)) {
    if (info.dataCount !== 0)
      r.fail('data count and data section have inconsistent lengths', `${info.dataCount} data segments`, r.pos);
  }
  if (!multiMemory) {
    if (info.memories.length > 1)
      r.fail('multiple memories', 'at most one memory (multi-memory not enabled)', r.pos, 'invalid');
    if (info.tables.length > 1 && !info.instructions.referenceTypes) {
      r.fail('multiple tables', 'at most one table (reference types not used)', r.pos, 'invalid');
    }
  }
  info.usesTypedBlocks = ctx.typedBlocks;
  info.gcTypes = r.typeUse.gc;
  return info;
}

function readFieldType(r: ByteReader, typeCount: number): void {
  const b = r.bytes[r.pos];
  if (b === 0x78 || b === 0x77)
    r.pos++; // packed i8 / i16
  else readValType(r, typeCount);
  if (r.u8() > 1) r.fail('malformed mutability', 'mutability 0x00 or 0x01', r.pos - 1);
}

function readCompType(r: ByteReader, info: ModuleInfo): void {
  const at = r.pos;
  const form = r.u8();
  // Type indices may refer forward within the section, so they are checked against the u32 range only.
  const typeBound = 2 ** 32;
  if (form === 0x60) {
    const np = count(r, 'parameters');
    for (let i = 0; i < np; i++) readValType(r, typeBound);
    const nr = count(r, 'results');
    for (let i = 0; i < nr; i++) readValType(r, typeBound);
    info.funcTypes.push({ params: np, results: nr });
  } else if (form === 0x5f) {
    const nf = count(r, 'struct fields', 2);
    for (let i = 0; i < nf; i++) readFieldType(r, typeBound);
    info.funcTypes.push(undefined);
  } else if (form === 0x5e) {
    readFieldType(r, typeBound);
    info.funcTypes.push(undefined);
  } else {
    r.fail('malformed type', 'a type form (0x60 func, 0x5f struct, 0x5e array, 0x4e rec, 0x50/0x4f sub)', at);
  }
  info.typeCount++;
}

function readSubType(r: ByteReader, info: ModuleInfo): void {
  const b = r.bytes[r.pos];
  if (r.pos < r.end && (b === 0x50 || b === 0x4f)) {
    r.pos++;
    const n = count(r, 'supertypes');
    for (let i = 0; i < n; i++) r.u32();
  }
  readCompType(r, info);
}

function readRecType(r: ByteReader, info: ModuleInfo): void {
  if (r.pos < r.end && r.bytes[r.pos] === 0x4e) {
    r.pos++;
    const n = count(r, 'recursive group members');
    for (let i = 0; i < n; i++) readSubType(r, info);
  } else readSubType(r, info);
}

function readElement(r: ByteReader, typeCount: number, constExpr: (r: ByteReader) => void): void {
  const at = r.pos;
  const flags = r.u32();
  if (flags > 7) r.fail('malformed elements segment kind', 'element segment flags 0-7', at);
  const explicitTable = (flags & 0x02) !== 0 && (flags & 0x01) === 0;
  const passiveOrDeclarative = (flags & 0x01) !== 0;
  const usesExprs = (flags & 0x04) !== 0;
  if (explicitTable) r.u32();
  if (!passiveOrDeclarative) constExpr(r);
  if (flags & 0x03) {
    if (usesExprs) readRefType(r, typeCount);
    else if (r.u8() !== 0) r.fail('malformed element kind', 'element kind 0x00 (funcref)', r.pos - 1);
  }
  const n = count(r, 'element items');
  for (let i = 0; i < n; i++) {
    if (usesExprs) constExpr(r);
    else r.u32();
  }
}
