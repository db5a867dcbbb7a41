import { errorLine, type Log, UserError } from '@wasm-build/kit';

/** One row of the final table. */
export interface StageRow {
  stage: string;
  status: 'ok' | 'failed' | 'skipped';
  /** Wall time, ms. */
  durationMs: number;
  /** Size of what the stage produced, bytes (module or image blobs). */
  bytes?: number;
  detail: string;
}

/** Thrown by `StageRunner.run` after a stage failed; the row and the one-line message are already recorded. */
export class StageFailed extends Error {}

/**
 * Runs stages in order, timing each, logging one progress line per stage, and recording a row. A stage that throws
 * is recorded as failed with the error's one-line message, and `StageFailed` stops the pipeline.
 */
export class StageRunner {
  readonly rows: StageRow[] = [];
  error?: string;

  constructor(private readonly log: Log) {}

  async run<T>(stage: string, fn: () => Promise<{ value: T; detail: string; bytes?: number }>): Promise<T> {
    const started = performance.now();
    this.log.info(`▶ ${stage}`);
    try {
      const { value, detail, bytes } = await this.log.group(stage, fn);
      const durationMs = Math.round(performance.now() - started);
      this.rows.push({ stage, status: 'ok', durationMs, bytes, detail });
      this.log.info(`✔ ${stage}: ${detail} (${durationMs} ms)`);
      return value;
    } catch (e) {
      const durationMs = Math.round(performance.now() - started);
      this.error = errorLine(e);
      this.rows.push({ stage, status: 'failed', durationMs, detail: this.error });
      this.log.error(`${stage}: ${this.error}`);
      // Internal faults keep their stack for debugging; user errors never show one.
      if (!(e instanceof UserError) && e instanceof Error && e.stack) this.log.debug(e.stack);
      throw new StageFailed(this.error);
    }
  }

  skip(stage: string, why: string): void {
    this.rows.push({ stage, status: 'skipped', durationMs: 0, detail: why });
    this.log.info(`- ${stage}: skipped (${why})`);
  }
}
