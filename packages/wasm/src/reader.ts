import { WasmParseError } from './errors.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A cursor over a byte range with the primitive decoders of the binary format: bytes, LEB128 integers bounded to
 * their type's width, IEEE floats (skipped, their bits are not needed), UTF-8 names.
 *
 * Every read is bounds-checked against `end`; running past it throws `WasmParseError("unexpected end")`. LEB128
 * reads reject encodings longer than ceil(N/7) bytes ("integer representation too long") and unused bits that are
 * not a sign extension ("integer too large"), per Core Spec 2.0 §5.2.2.
 */
export class ByteReader {
  pos: number;
  end: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    end = bytes.length,
    /** Shared by the readers of one module: reference types of the GC / typed function references proposals seen. */
    readonly typeUse: { gc: number } = { gc: 0 },
  ) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  eof(): boolean {
    return this.pos >= this.end;
  }

  fail(message: string, expected: string, offset = this.pos, kind: 'malformed' | 'invalid' = 'malformed'): never {
    throw new WasmParseError(message, offset, expected, kind);
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end', 'one more byte');
    return this.bytes[this.pos++];
  }

  /** Returns a view of the next `n` bytes (no copy). */
  take(n: number, what = 'bytes'): Uint8Array {
    if (n > this.end - this.pos)
      this.fail(n > this.bytes.length ? 'length out of bounds' : 'unexpected end', `${n} ${what}`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(n: number, what = 'bytes'): void {
    if (n > this.end - this.pos) this.fail('unexpected end', `${n} ${what}`);
    this.pos += n;
  }

  /** Unsigned LEB128 of at most 32 bits (5 bytes), as a non-negative number. */
  u32(): number {
    const start = this.pos;
    // One byte, the common case (a count, an index, a size below 128), without the loop.
    const first = this.bytes[start];
    if (first < 0x80 && start < this.end) {
      this.pos = start + 1;
      return first;
    }
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) this.fail('unexpected end', 'the rest of a LEB128 u32', start);
      const byte = this.bytes[this.pos++];
      if (i === 4) {
        if (byte & 0x80) this.fail('integer representation too long', 'a u32 in at most 5 bytes', start);
        if (byte & 0x70) this.fail('integer too large', 'a value below 2^32', start);
      }
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
    return result;
  }

  /** Signed LEB128 of at most `bits` bits (32 or 33); returns a number. */
  s32(bits = 32): number {
    const start = this.pos;
    const maxBytes = Math.ceil(bits / 7);
    let result = 0;
    let shift = 0;
    for (let i = 0; i < maxBytes; i++) {
      if (this.pos >= this.end) this.fail('unexpected end', `the rest of a LEB128 s${bits}`, start);
      const byte = this.bytes[this.pos++];
      if (i === maxBytes - 1) {
        if (byte & 0x80)
          this.fail('integer representation too long', `an s${bits} in at most ${maxBytes} bytes`, start);
        // The unused high bits of the last byte must all equal the sign bit.
        const usedBits = bits - shift; // bits of this byte that carry the value, sign included
        const mask = (0x7f >> (usedBits - 1)) << (usedBits - 1); // sign bit and everything above it
        const top = byte & mask & 0x7f;
        if (top !== 0 && top !== (mask & 0x7f)) this.fail('integer too large', `an s${bits} value`, start);
      }
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) {
        if (byte & 0x40) result -= 2 ** shift;
        return result;
      }
    }
    return result;
  }

  /** Signed 33-bit LEB128 (block types and heap types). */
  s33(): number {
    return this.s32(33);
  }

  /** Unsigned LEB128 of at most 64 bits, as a bigint only when it does not fit a double exactly. */
  u64(): number {
    return this.leb64(false);
  }

  /** Signed LEB128 of at most 64 bits (value not needed: returned approximately as a number). */
  s64(): number {
    return this.leb64(true);
  }

  private leb64(signed: boolean): number {
    const start = this.pos;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('unexpected end', `the rest of a LEB128 ${signed ? 's' : 'u'}64`, start);
      const byte = this.bytes[this.pos++];
      if (i === 9) {
        if (byte & 0x80) this.fail('integer representation too long', 'a 64-bit integer in at most 10 bytes', start);
        if (signed ? byte !== 0 && byte !== 0x7f : byte & 0x7e) {
          this.fail('integer too large', `a ${signed ? 's' : 'u'}64 value`, start);
        }
      }
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) {
        if (signed && byte & 0x40) result -= 2 ** shift;
        return result;
      }
    }
    return result;
  }

  /** A UTF-8 name: u32 length then bytes; invalid UTF-8 is "malformed UTF-8 encoding". */
  name(): string {
    const len = this.u32();
    const start = this.pos;
    const bytes = this.take(len, 'bytes of a name');
    try {
      return utf8.decode(bytes);
    } catch {
      return this.fail('malformed UTF-8 encoding', 'a UTF-8 name', start);
    }
  }
}
