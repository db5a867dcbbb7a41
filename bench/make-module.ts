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

/**
 * A valid core module of about `targetBytes` bytes (never fewer than one function): one function type `[] -> []`,
 * a shared memory of 1 page (max 1), and `floor(targetBytes / 1569)` identical function bodies of 1567 bytes, each
 * a block of 40 rounds of i32 load/store through a local, i32 arithmetic, `i32.atomic.rmw.add` and
 * `v128.load`/`i8x16.add` (683 instructions per body, 40 of them atomics and 120 SIMD). wasm-validate and V8 accept it.
 * Written into one preallocated buffer (a 50 MB module takes well under a second).
 * @param targetBytes the size wanted, bytes
 * @returns the module's bytes
 */
export function makeLargeModule(targetBytes: number): Uint8Array {
  // The SIMD pattern: v128.load twice, i8x16.add, drop (stack-correct).
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
  const entry = Uint8Array.from([...uleb(body.length), ...body]); // one code section entry: size, then the body
  const head = [
    ...[0, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, [1, 0x60, 0, 0]),
    // function section: `count` functions of type 0
    3,
    ...uleb(uleb(count).length + count),
    ...uleb(count),
  ];
  const memory = section(5, [1, 0x03, 1, 1]); // shared, min 1 max 1
  const codeSize = uleb(count).length + count * entry.length;
  const codeHead = [10, ...uleb(codeSize), ...uleb(count)];
  const out = new Uint8Array(head.length + count + memory.length + codeHead.length + count * entry.length);
  let pos = 0;
  out.set(head, pos);
  pos += head.length + count; // the function section's type indices are all 0, as allocated
  out.set(memory, pos);
  pos += memory.length;
  out.set(codeHead, pos);
  pos += codeHead.length;
  for (let i = 0; i < count; i++, pos += entry.length) out.set(entry, pos);
  return out;
}
