// Generates a large, valid core module for benchmarks: shared memory, many function bodies mixing control flow,
// loads/stores, i32 arithmetic, atomics and SIMD, so a decoder's every hot path is exercised.

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** A module of about `targetBytes` bytes. */
export function makeLargeModule(targetBytes: number): Uint8Array {
  // Fix the SIMD pattern: v128.load twice, i8x16.add, drop (stack-correct).
  const body: number[] = [];
  body.push(0x01, 0x01, 0x7f); // one local group: 1 × i32
  body.push(0x02, 0x40);
  for (let i = 0; i < 40; i++) {
    body.push(0x41, 0x80, 0x01, 0x28, 0x02, 0x00, 0x21, 0x00);
    body.push(0x20, 0x00, 0x41, 0x07, 0x6a, 0x21, 0x00);
    body.push(0x41, 0x00, 0x20, 0x00, 0xfe, 0x1e, 0x02, 0x00, 0x1a);
    body.push(0x41, 0x10, 0xfd, 0x00, 0x04, 0x00, 0x41, 0x20, 0xfd, 0x00, 0x04, 0x00, 0xfd, 0x6e, 0x1a);
  }
  body.push(0x0b, 0x0b);
  const count = Math.max(1, Math.floor(targetBytes / (body.length + 2)));
  const types = section(1, [1, 0x60, 0, 0]);
  const funcs = section(3, [...uleb(count), ...new Array(count).fill(0)]);
  const memory = section(5, [1, 0x03, 1, 1]); // shared, min 1 max 1
  const code: number[] = [...uleb(count)];
  for (let i = 0; i < count; i++) code.push(...uleb(body.length), ...body);
  return Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...types, ...funcs, ...memory, ...section(10, code)]);
}
