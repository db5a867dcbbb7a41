import type { ByteReader } from './reader.ts';

// Value and heap type codes, Core Spec 2.0 §5.3 plus the GC and exception-handling proposals.
const NUM_VEC = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b]);
// Abstract heap types usable as one-byte reference-type shorthands: func, extern, any, eq, i31, struct, array,
// none, noextern, nofunc, exn, noexn.
const ABSTRACT_HEAP = new Set([0x70, 0x6f, 0x6e, 0x6d, 0x6c, 0x6b, 0x6a, 0x71, 0x72, 0x73, 0x69, 0x74]);
const REF_NULL = 0x63;
const REF = 0x64;
// The heap types of WebAssembly 2.0 itself (funcref, externref) and of exception handling (exn, noexn); the rest of
// ABSTRACT_HEAP, and every typed reference, come from the GC / typed function references proposals.
const PRE_GC_HEAP = new Set([0x70, 0x6f, 0x69, 0x74]);

/** Reads a heap type (s33): an abstract type code or a type index below `typeCount`. */
export function readHeapType(r: ByteReader, typeCount: number): void {
  const at = r.pos;
  const v = r.s33();
  if (v >= 0 || !PRE_GC_HEAP.has(v + 0x80)) r.typeUse.gc++;
  if (v >= 0) {
    if (v >= typeCount) r.fail('unknown type', `a type index below ${typeCount}`, at, 'invalid');
    return;
  }
  if (!ABSTRACT_HEAP.has(v + 0x80)) r.fail('malformed heap type', 'an abstract heap type or a type index', at);
}

/** Reads a reference type: a one-byte shorthand, or 0x63/0x64 followed by a heap type. */
export function readRefType(r: ByteReader, typeCount: number): void {
  const at = r.pos;
  const b = r.u8();
  if (ABSTRACT_HEAP.has(b)) {
    if (!PRE_GC_HEAP.has(b)) r.typeUse.gc++;
    return;
  }
  if (b === REF_NULL || b === REF) {
    r.typeUse.gc++;
    readHeapType(r, typeCount);
    return;
  }
  r.fail('malformed reference type', 'a reference type (0x70 funcref, 0x6f externref, ...)', at);
}

/** Reads a value type; returns its first byte. */
export function readValType(r: ByteReader, typeCount: number): number {
  const at = r.pos;
  const b = r.u8();
  if (NUM_VEC.has(b)) return b;
  if (ABSTRACT_HEAP.has(b)) {
    if (!PRE_GC_HEAP.has(b)) r.typeUse.gc++;
    return b;
  }
  if (b === REF_NULL || b === REF) {
    r.typeUse.gc++;
    readHeapType(r, typeCount);
    return b;
  }
  return r.fail(
    'malformed value type',
    'a value type (0x7f i32, 0x7e i64, 0x7d f32, 0x7c f64, 0x7b v128, a reference type)',
    at,
  );
}

/**
 * Reads a block type (s33): 0x40 (empty), a value type, or a type index. Returns true when it is a type index
 * (a multi-value block signature).
 */
export function readBlockType(r: ByteReader, typeCount: number): boolean {
  const at = r.pos;
  if (r.pos >= r.end) r.u8(); // throws "unexpected end"
  const first = r.bytes[r.pos];
  if (first === 0x40 || NUM_VEC.has(first) || ABSTRACT_HEAP.has(first)) {
    if (ABSTRACT_HEAP.has(first) && !PRE_GC_HEAP.has(first)) r.typeUse.gc++;
    r.pos++;
    return false;
  }
  if (first === REF_NULL || first === REF) {
    r.pos++;
    r.typeUse.gc++;
    readHeapType(r, typeCount);
    return false;
  }
  const v = r.s33();
  if (v < 0) r.fail('malformed block type', 'a block type', at);
  if (v >= typeCount) r.fail('unknown type', `a type index below ${typeCount}`, at, 'invalid');
  return true;
}
