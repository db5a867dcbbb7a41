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
  /** Byte offset in the module where decoding failed. */
  readonly offset: number;
  /** What the decoder expected at `offset`, e.g. "a section id (0-13)". */
  readonly expected: string;
  /** `malformed` for binary-format errors, `invalid` for validation errors. */
  readonly kind: 'malformed' | 'invalid';

  constructor(message: string, offset: number, expected: string, kind: 'malformed' | 'invalid' = 'malformed') {
    super(`${message} at byte offset ${offset} (0x${offset.toString(16)}): expected ${expected}`);
    this.offset = offset;
    this.expected = expected;
    this.kind = kind;
  }
}
