import { RE2JS, RE2JSException } from 're2js';

/**
 * A `RegExp` whose matching is done by RE2 (the re2js port), in time linear in the input: a pattern such as
 * `(a+)+b`, which makes V8's backtracking engine run for hours on 30 characters, answers at once. It stays a
 * `RegExp` (so `instanceof RegExp`, `toString()` and `source` work as smoke's checks expect), but `test` and `exec`
 * (and through `exec`, `String.prototype.match`, `search` and a non-global `replace`) run RE2; `split` and
 * `matchAll` are refused rather than left to the backtracking engine. The syntax is RE2's: no backreferences or
 * lookahead; no flags.
 * @throws RE2JSException (a syntax error, with RE2's message) from the constructor.
 * Source: re2js (RE2JS.compile, test, exec); github.com/google/re2/wiki/Syntax.
 */
export class Re2RegExp extends RegExp {
  readonly #re: RE2JS;
  readonly #source: string;

  constructor(source: string) {
    const re = RE2JS.compile(source);
    // The engine underneath never sees the pattern: anything not overridden here matches the empty pattern.
    super('(?:)');
    this.#re = re;
    this.#source = source;
  }

  override get source(): string {
    return this.#source;
  }

  override get flags(): string {
    return '';
  }

  override toString(): string {
    return `/${this.#source}/`;
  }

  /** True when the pattern matches anywhere in `s` (RE2's unanchored DFA search). */
  override test(s: string): boolean {
    return this.#re.test(String(s));
  }

  /** The first match as `RegExp.prototype.exec` gives it (index, input, groups), or null. */
  override exec(s: string): RegExpExecArray | null {
    return this.#re.exec(String(s)) as RegExpExecArray | null;
  }

  override [Symbol.split](): string[] {
    throw new TypeError('Re2RegExp does not split');
  }

  override [Symbol.matchAll](): RegExpStringIterator<RegExpExecArray> {
    throw new TypeError('Re2RegExp does not matchAll');
  }
}

/**
 * Why `source` is not an RE2 regular expression (RE2's own message, e.g. "missing closing ): `(a`"), or undefined
 * when it compiles.
 */
export function re2Problem(source: string): string | undefined {
  try {
    RE2JS.compile(source);
    return undefined;
  } catch (e) {
    if (e instanceof RE2JSException) return e.message.replace(/^error parsing regexp: /, '');
    throw e;
  }
}
