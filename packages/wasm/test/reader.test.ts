import { describe, expect, it } from 'vitest';
import { WasmParseError } from '../src/errors.ts';
import { ByteReader } from '../src/reader.ts';

const r = (...bytes: number[]) => new ByteReader(Uint8Array.from(bytes));

describe('ByteReader LEB128', () => {
  it.each([
    [[0x00], 0],
    [[0x7f], 127],
    [[0x80, 0x01], 128],
    [[0xe5, 0x8e, 0x26], 624485],
    [[0xff, 0xff, 0xff, 0xff, 0x0f], 4294967295],
    [[0x80, 0x80, 0x80, 0x80, 0x00], 0], // padded but within 5 bytes
  ])('u32 %j = %d', (bytes, value) => {
    expect(r(...bytes).u32()).toBe(value);
  });

  it.each([
    [[0xff, 0xff, 0xff, 0xff, 0x1f], 'integer too large'],
    [[0x80, 0x80, 0x80, 0x80, 0x80, 0x00], 'integer representation too long'],
    [[0x80, 0x80], 'unexpected end'],
  ])('u32 %j fails with %s', (bytes, message) => {
    expect(() => r(...bytes).u32()).toThrow(message);
  });

  it.each([
    [[0x7f], -1],
    [[0x40], -64],
    [[0xc0, 0xbb, 0x78], -123456],
    [[0xff, 0xff, 0xff, 0xff, 0x07], 2147483647],
    [[0x80, 0x80, 0x80, 0x80, 0x78], -2147483648],
  ])('s32 %j = %d', (bytes, value) => {
    expect(r(...bytes).s32()).toBe(value);
  });

  it.each([
    [[0xff, 0xff, 0xff, 0xff, 0x4f]], // unused bits not a sign extension
    [[0x80, 0x80, 0x80, 0x80, 0x70]],
  ])('s32 %j is too large', (bytes) => {
    expect(() => r(...bytes).s32()).toThrow('integer too large');
  });

  it('s64 accepts ten bytes ending in 0x7f and rejects other tails', () => {
    const ok = r(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f);
    ok.s64(); // the value of an i64.const is not needed, only its extent
    expect(ok.pos).toBe(10);
    expect(() => r(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01).s64()).toThrow('integer too large');
  });

  it('rejects invalid UTF-8 in a name with the offset', () => {
    const err = (() => {
      try {
        r(0x02, 0xc3, 0x28).name();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(WasmParseError);
    expect((err as WasmParseError).message).toMatch(/malformed UTF-8 encoding at byte offset 1/);
  });
});
