// Every HTTP request wasm-build makes (registry, releases API, tool downloads) goes through Node's fetch (with the
// runner's proxy: proxy.ts); this file gives it a bounded, streaming download to a file.
import { randomUUID } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { UserError } from './errors.ts';
import { isTransientStatus, type RetryPolicy, retry, TransientError } from './retry.ts';

export interface DownloadOptions {
  /** Give up when no byte arrives for this long (connect, headers or body), ms; default 60 000. */
  idleTimeoutMs?: number;
  /** Refuse a body larger than this, bytes; default 2 GiB. */
  maxBytes?: number;
  /** Retries of 429/5xx, timeouts and failed connections; default 3 attempts, 1 s then 2 s apart. */
  retry?: RetryPolicy;
  headers?: Record<string, string>;
}

/**
 * Downloads `url` to a new file under RUNNER_TEMP (the OS temp dir elsewhere), streaming with an idle timeout and a
 * size cap, retrying transient failures. Returns the file's path; nothing is left behind on a failure.
 * @throws UserError `Download of WHAT failed: URL (HTTP status)` or `(…reason)`, with `fix`; `… is larger than …`
 *   for a body over `maxBytes`.
 */
export async function downloadFile(url: string, what: string, fix?: string, o: DownloadOptions = {}): Promise<string> {
  const idle = o.idleTimeoutMs ?? 60_000;
  const max = o.maxBytes ?? 2 ** 31;
  const file = join(process.env.RUNNER_TEMP || tmpdir(), `wasm-build-download-${randomUUID()}`);
  const failed = (detail: string, cause?: unknown) =>
    new UserError(`Download of ${what} failed: ${url} (${detail})`, {
      fix: fix ?? 'Check the version exists for this platform, and that the runner can reach the host',
      cause,
    });
  const attempt = async () => {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), idle);
    try {
      let res: Response;
      try {
        res = await fetch(url, { signal: ac.signal, headers: o.headers, redirect: 'follow' });
      } catch (e) {
        throw new TransientError(ac.signal.aborted ? `no answer within ${idle} ms` : errorText(e), { cause: e });
      }
      if (isTransientStatus(res.status)) throw new TransientError(`HTTP ${res.status}`);
      if (!res.ok || !res.body) throw failed(`HTTP ${res.status}`);
      const declared = Number(res.headers.get('content-length') ?? Number.NaN);
      if (declared > max) throw new UserError(`${what} at ${url} is ${declared} bytes, larger than ${max} bytes`);
      const out = createWriteStream(file);
      let n = 0;
      try {
        for await (const chunk of res.body) {
          timer.refresh();
          n += chunk.length;
          if (n > max) throw new UserError(`${what} at ${url} is larger than ${max} bytes`);
          if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        }
      } catch (e) {
        out.destroy();
        if (e instanceof UserError) throw e;
        throw new TransientError(ac.signal.aborted ? `no data for ${idle} ms` : errorText(e), { cause: e });
      }
      out.end();
      await finished(out);
      return file;
    } catch (e) {
      rmSync(file, { force: true });
      throw e;
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    return (await retry(attempt, { attempts: 3, minTimeoutMs: 1000, ...o.retry })).value;
  } catch (e) {
    rmSync(file, { force: true });
    if (e instanceof TransientError) throw failed(e.message, e);
    throw e;
  }
}

function errorText(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}
