/**
 * A module that is not well-formed WebAssembly (malformed) or that breaks a validation rule this decoder checks
 * (invalid). Every decoding failure is one of these, never another exception.
 *
 * `offset` is the byte offset in the input where the problem was found; `expected` says what the decoder expected
 * there. The message follows the spec testsuite's wording where one exists (e.g. "unexpected end", "integer too
 * large", "malformed section id") so failures can be compared with `assert_malformed`/`assert_invalid`.
 *
 * Source: WebAssembly Core Specification 2.0, §5 (binary format) and §3 (validation).
 */
export class WasmParseError extends Error {
  override readonly name = 'WasmParseError';
  /** The spec testsuite's wording alone, e.g. "unexpected end"; `message` adds the offset and what was expected. */
  readonly reason: string;
  /** Byte offset in the module where decoding failed. */
  readonly offset: number;
  /** What the decoder expected at `offset`, e.g. "a section id (0-13)". */
  readonly expected: string;
  /** `malformed` for binary-format errors, `invalid` for validation errors. */
  readonly kind: 'malformed' | 'invalid';

  constructor(message: string, offset: number, expected: string, kind: 'malformed' | 'invalid' = 'malformed') {
    super(`${message} at byte offset ${offset} (0x${offset.toString(16)}): expected ${expected}`);
    this.reason = message;
    this.offset = offset;
    this.expected = expected;
    this.kind = kind;
  }
}

/**
 * What a user can do about a decoding failure, for the failures a Rust build can produce: a truncated or non-wasm
 * file, and a shared memory without a maximum (the threads proposal makes it invalid; wasm-ld writes one only when
 * `--max-memory` is missing). Returns a generic fix for anything else.
 * Source: WebAssembly threads proposal, Overview.md ("shared memory must have maximum"); wasm-ld `--max-memory`.
 */
export function parseErrorFix(e: WasmParseError): string {
  switch (e.reason) {
    case 'shared memory must have maximum':
      return (
        'Give the shared memory a maximum at link time: RUSTFLAGS="-C link-arg=--max-memory=BYTES" with BYTES a ' +
        'multiple of 65536 (e.g. 1073741824 for 1 GiB)'
      );
    case 'magic header not detected':
      return 'Pass the .wasm file cargo built for a wasm32 target (target/<triple>/<profile>/<name>.wasm)';
    case 'unexpected end':
    case 'length out of bounds':
      return 'The file is truncated: rebuild it, or check the step that copied or downloaded it';
    default:
      return 'Rebuild the module; if a tool wrote it, report the offset above to that tool';
  }
}
