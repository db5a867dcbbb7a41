/**
 * A problem with what the user gave us (an input, a crate, a module, a registry address): reported as one line with
 * the offending value and the fix, never with a stack trace. Internal failures stay plain `Error`s.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  /** How to fix it, one sentence; appended to the message when shown. */
  readonly fix?: string;

  constructor(message: string, options: { fix?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.fix = options.fix;
  }
}

/** Renders any thrown value as one line: the message, then the fix for a `UserError`. Thrown strings survive. */
export function errorLine(e: unknown): string {
  if (e instanceof UserError) return e.fix ? `${e.message}. ${e.fix}` : e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
