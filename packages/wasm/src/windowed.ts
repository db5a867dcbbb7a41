// Decode and validation of a large module a window of its code section at a time, so that its file is never held
// whole (issue 15: peak RSS at most twice the file). Each window becomes a module of its own, a "chunk": every section
// but the code section as the file has them, and a code section holding, for each function, either its real entry
// (those of the window, byte for byte) or a stub body `unreachable end`, valid whatever the function's type. Our
// decoder and V8's WebAssembly.validate take each chunk in turn, in one module buffer reused for all of them.
//
// Why the chunks together say what the whole module would: both validators check a function body against the module's
// other sections only (types, functions, tables, memories, globals, the element declarations ref.func needs, the data
// count), never against other bodies, and every chunk has those sections and the same counts as the file. So the
// module is valid if and only if every chunk is. Anything short of "every chunk decoded and valid" (a malformed
// header, a body larger than the window, a rejection by either validator) gives undefined: the caller then verifies the
// file whole, and its messages and offsets are the whole module's own.
import { moduleBuffer } from './code-wasm.ts';
import { decodeModule } from './decode.ts';
import { WasmParseError } from './errors.ts';
import { ByteReader } from './reader.ts';
import { emptyCounts, type InstructionCounts, type ModuleInfo } from './types.ts';

/** A module's bytes where they lie (a file), read a range at a time. */
export interface ModuleSource {
  /** Its size, bytes. */
  readonly size: number;
  /**
   * Reads `into.length` bytes from byte `position` (fewer only at the end).
   * @returns the bytes read
   */
  read(into: Uint8Array, position: number): number;
}

/** The code section's entries (size and body) per chunk, bytes: at least 16 MiB, and a quarter of the section. */
export function defaultWindow(codeSize: number): number {
  return Math.max(16 * 1024 * 1024, Math.ceil(codeSize / 4));
}

// V8's limits (deps/v8/src/wasm/wasm-limits.h): a larger module is invalid as a whole, whatever its chunks are. Node
// can be given another module size limit (V8's --wasm-max-module-size): then the whole module is validated.
const V8_MAX_MODULE_SIZE = 1024 * 1024 * 1024;
const MODULE_SIZE_FLAG = /--wasm[-_]max[-_]module[-_]size/;
// Windows per module at most; the window grows to keep to it.
const MAX_WINDOWS = 64;
const V8_MAX_FUNCTIONS = 1_000_000;
// At most this many sections are read from the file one header at a time; more go the whole way.
const MAX_SECTIONS = 4096;
// A stub entry: size 3, no locals, unreachable, end.
const STUB = Uint8Array.from([3, 0, 0x00, 0x0b]);
const STUB_SIZE = STUB.length;
// The chunk's code section header: id, then its size as a 5-byte LEB128 (padded), whatever the size.
const CODE_HEADER = 6;

interface Layout {
  /** Where the code section's id byte is, and where its contents start and end: file offsets. */
  codeStart: number;
  contentStart: number;
  codeEnd: number;
}

/** Reads until `into` is full or the source ends. */
function readFully(source: ModuleSource, into: Uint8Array, position: number): number {
  let done = 0;
  for (let n = 1; done < into.length && n > 0; done += n) n = source.read(into.subarray(done), position + done);
  return done;
}

/** Reads a u32 LEB128 at `pos` of `bytes` (at most to `end`); undefined when there is none there. */
function u32At(bytes: Uint8Array, pos: number, end: number): { value: number; next: number } | undefined {
  const r = new ByteReader(bytes, pos, end);
  try {
    return { value: r.u32(), next: r.pos };
  } catch (e) {
    if (e instanceof WasmParseError) return undefined;
    throw e;
  }
}

/** The section headers, read one at a time: the one code section's place, or undefined when anything is off. */
function readLayout(source: ModuleSource): Layout | undefined {
  const size = source.size;
  const head = new Uint8Array(8);
  if (readFully(source, head, 0) !== 8) return undefined;
  if (head.join() !== '0,97,115,109,1,0,0,0') return undefined; // a core module, version 1
  const header = new Uint8Array(CODE_HEADER);
  let layout: Layout | undefined;
  let pos = 8;
  for (let sections = 0; pos < size; sections++) {
    if (sections === MAX_SECTIONS) return undefined;
    const got = readFully(source, header.subarray(0, Math.min(CODE_HEADER, size - pos)), pos);
    const len = got > 1 ? u32At(header, 1, got) : undefined;
    if (!len || len.value > size - pos - len.next) return undefined;
    const contentStart = pos + len.next;
    if (header[0] === 10) {
      if (layout) return undefined;
      layout = { codeStart: pos, contentStart, codeEnd: contentStart + len.value };
    }
    pos = contentStart + len.value;
  }
  return layout;
}

/** Writes `count` stub entries from `at`. */
function writeStubs(buf: Uint8Array, at: number, count: number): void {
  if (count <= 0) return;
  buf.set(STUB, at);
  const end = at + count * STUB_SIZE;
  // Doubling: the stubs written so far are copied after themselves, as far as `end`.
  for (let done = STUB_SIZE; at + done < end; done *= 2) buf.copyWithin(at + done, at, Math.min(at + done, end - done));
}

/** Sets each counter of `a` to `op` of it and the same counter of `b`. */
function eachCount(a: InstructionCounts, b: InstructionCounts, op: (x: number, y: number) => number): void {
  for (const key of Object.keys(a) as (keyof InstructionCounts)[]) {
    if (key === 'atomic') {
      for (const k of Object.keys(a.atomic) as (keyof InstructionCounts['atomic'])[]) {
        a.atomic[k] = op(a.atomic[k], b.atomic[k]);
      }
    } else a[key] = op(a[key], b[key]);
  }
}

/**
 * Decodes a core module and validates it with V8 (`WebAssembly.validate`), a window of its code section at a time, in
 * one module buffer of about `window` bytes plus the other sections and 4 bytes a function. For a module whose code
 * section is larger than the window and that holds more than that buffer; any other goes undefined at once.
 * @param source the module's bytes (a file); at most 1 GiB (V8's limit for a whole module)
 * @param options `window`: the code section's bytes per chunk (default `defaultWindow`; at least a 64th of the code
 *   section, so there are at most 64 chunks); a body larger goes undefined
 * @returns what `decodeModule` gives for the whole module (sizes and section offsets the file's) when every chunk
 *   decoded and V8 accepted every one, i.e. the module is valid; undefined for anything else: read it whole then, for
 *   the result and the messages that decodeModule and validateModule give
 * @throws only what `source.read` throws
 * Source: Core Specification 2.0 §3.4.10 (a module is valid when each function is valid in the module's context),
 * §5.5.13 (the code section); WebAssembly JS API §4.1 (`validate`).
 */
export function decodeValidateWindowed(
  source: ModuleSource,
  options: { window?: number } = {},
): ModuleInfo | undefined {
  const size = source.size;
  if (!(size >= 8 && size <= V8_MAX_MODULE_SIZE)) return undefined;
  if ([...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => MODULE_SIZE_FLAG.test(a))) return undefined;
  const layout = readLayout(source);
  if (!layout) return undefined;
  const { codeStart, contentStart, codeEnd } = layout;
  const codeSize = codeEnd - contentStart;
  // At most MAX_WINDOWS windows: each holds every function (a stub or its body), so their number multiplies the work.
  const window = Math.max(options.window ?? defaultWindow(codeSize), Math.ceil(codeSize / MAX_WINDOWS));
  const countBytes = new Uint8Array(5);
  const got = readFully(source, countBytes.subarray(0, Math.min(5, codeSize)), contentStart);
  const count = u32At(countBytes, 0, got);
  if (!count || count.value === 0 || count.value > V8_MAX_FUNCTIONS) return undefined;
  const n = count.value;
  const suffix = size - codeEnd;
  const codeBase = codeStart + CODE_HEADER + count.next; // where the chunk's first entry goes
  const capacity = codeBase + STUB_SIZE * n + window + suffix;
  if (codeSize <= window || capacity >= size) return undefined;
  const buf = moduleBuffer(capacity);
  if (!buf) return undefined;

  // The sections before the code section stay where the file has them; the code section's header is rewritten for
  // each chunk, and the sections after it are read in after its last entry.
  if (readFully(source, buf.subarray(0, codeStart), 0) !== codeStart) return undefined;
  buf[codeStart] = 10;
  buf.set(countBytes.subarray(0, count.next), codeStart + CODE_HEADER);
  // The chunk whose entries end at `entriesEnd`, decoded, and validated by V8 when `validate`; undefined when either
  // refuses it.
  const chunk = (entriesEnd: number, validate: boolean): ModuleInfo | undefined => {
    let v = entriesEnd - codeStart - CODE_HEADER;
    for (let i = 1; i < CODE_HEADER; i++, v = Math.floor(v / 128)) buf[codeStart + i] = (v & 0x7f) | (i < 5 ? 0x80 : 0);
    if (readFully(source, buf.subarray(entriesEnd, entriesEnd + suffix), codeEnd) !== suffix) return undefined;
    const bytes = buf.subarray(0, entriesEnd + suffix);
    let info: ReturnType<typeof decodeModule>;
    try {
      info = decodeModule(bytes);
    } catch (e) {
      if (e instanceof WasmParseError) return undefined;
      throw e;
    }
    if (info.kind !== 'module' || (validate && !WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)))
      return undefined;
    return info;
  };

  // The skeleton: every body a stub. It gives everything but what the bodies hold, and what n stubs count; V8
  // validates its sections with each chunk after it.
  writeStubs(buf, codeBase, n);
  const skeleton = chunk(codeBase + STUB_SIZE * n, false);
  // A malformed target_features section is recorded, not thrown, with words and an offset that are the chunk's, not
  // the file's: the whole module's decoder says it (rare: the section is the linker's). Anything else the decoder
  // records rather than throws must be declined here likewise.
  if (!skeleton || skeleton.targetFeaturesError !== undefined) return undefined;
  const stub = emptyCounts(); // what one stub counts
  eachCount(stub, skeleton.instructions, (_, all) => all / n);
  const instructions = emptyCounts();
  let gcTypes = skeleton.gcTypes;
  let typedBlocks = skeleton.usesTypedBlocks;

  let done = 0; // entries whose bodies have been in a chunk
  let at = contentStart + count.next; // the file offset of entry `done`
  while (done < n) {
    writeStubs(buf, codeBase, done);
    const from = codeBase + STUB_SIZE * done;
    const want = Math.min(window, codeEnd - at);
    if (readFully(source, buf.subarray(from, from + want), at) !== want) return undefined;
    // The entries that lie whole in what was read.
    let pos = from;
    let taken = done;
    while (taken < n) {
      const len = u32At(buf, pos, from + want);
      if (!len || len.value > from + want - len.next) break;
      pos = len.next + len.value;
      taken++;
    }
    // None whole (a body larger than the window, or a malformed size), or the section's end not where its last
    // entry ends: the whole module's decoder says what is wrong.
    if (taken === done || (taken === n) !== (at + (pos - from) === codeEnd)) return undefined;
    writeStubs(buf, pos, n - taken);
    const info = chunk(pos + STUB_SIZE * (n - taken), true);
    if (!info) return undefined;
    const stubs = n - (taken - done);
    eachCount(instructions, info.instructions, (sum, c) => sum + c);
    eachCount(instructions, stub, (sum, c) => sum - c * stubs);
    gcTypes += info.gcTypes - skeleton.gcTypes;
    typedBlocks ||= info.usesTypedBlocks;
    at += pos - from;
    done = taken;
  }

  // The skeleton's sections where the file has them: those after the code section moved by the difference.
  const shift = codeEnd - (codeBase + STUB_SIZE * n);
  const sections = skeleton.sections.map((s) =>
    s.id === 10
      ? { ...s, offset: contentStart, size: codeSize }
      : s.offset > codeStart
        ? { ...s, offset: s.offset + shift }
        : s,
  );
  return { ...skeleton, size, sections, instructions, gcTypes, usesTypedBlocks: typedBlocks };
}
