import pRetry, { AbortError } from 'p-retry';

/** How often and how patiently to retry a transient failure. */
export interface RetryPolicy {
  /** Attempts in all, the first included; default 4. */
  attempts?: number;
  /** Wait before the second attempt, ms; doubles each time (default 500). */
  minTimeoutMs?: number;
  /** Called before each retry with the attempt that failed (1-based) and its error. */
  onRetry?: (attempt: number, error: unknown) => void;
}

/** An error worth another attempt (HTTP 429/5xx, a reset connection): `retry` tries again, anything else stops it. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
}

/** HTTP statuses a registry answers under load or during a deploy: 429 Too Many Requests and every 5xx. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * Text of a push tool's failure that names a transient cause: 429, a 5xx, a reset or closed connection.
 * Source: the error texts of containers/image, oras-go and buildkit for these cases.
 */
export function isTransientText(text: string): boolean {
  return /\b(429|50[0-4])\b|too many requests|service unavailable|bad gateway|gateway time-?out|connection reset|broken pipe|unexpected EOF|ECONNRESET/i.test(
    text,
  );
}

/**
 * Runs `fn` until it succeeds, retrying only when it throws a `TransientError`, with exponential backoff and a
 * bounded count; any other error (p-retry unwraps its AbortError), or the last transient one, is thrown as it is. Returns the value and the number
 * of attempts made. Built on p-retry (sindresorhus/p-retry: `retries`, `minTimeout`, `factor`, AbortError).
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  p: RetryPolicy = {},
): Promise<{ value: T; attempts: number }> {
  let attempts = 0;
  const value = await pRetry(
    async (n) => {
      attempts = n;
      try {
        return await fn(n);
      } catch (e) {
        if (e instanceof TransientError) throw e;
        throw new AbortError(e as Error);
      }
    },
    {
      retries: (p.attempts ?? 4) - 1,
      // WASM_BUILD_RETRY_MIN_MS shortens every backoff (tests), as @actions/tool-cache's TEST_DOWNLOAD_TOOL_RETRY_*.
      minTimeout: Number(process.env.WASM_BUILD_RETRY_MIN_MS) || (p.minTimeoutMs ?? 500),
      factor: 2,
      randomize: false,
      onFailedAttempt: (e) => {
        if (e.retriesLeft > 0) p.onRetry?.(e.attemptNumber, e);
      },
    },
  );
  return { value, attempts };
}
