// Outside GitHub Actions, `@actions/core` (used by our code and by @docker/actions-toolkit) still writes workflow
// commands (`::debug::…`, `::warning::…`) to stdout. In a terminal those lines are noise, and they break `--json`.

const COMMAND = /^::([a-z-]+)(?: [^:]*)?::(.*)$/s;

/** Workflow-command escapes undone (`%25`, `%0D`, `%0A`): actions/toolkit core/src/command.ts escapeData. */
function unescapeData(data: string): string {
  return data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

/**
 * Routes the workflow commands written to `process.stdout` onto `err` as plain lines: `debug` only when `verbose()`
 * is true (as `debug: MESSAGE`), `warning`/`error`/`notice` as `warning: …` etc.; group markers and other commands
 * are dropped. Everything else written to stdout passes through untouched, so stdout carries only our own output.
 * A no-op under GitHub Actions (`GITHUB_ACTIONS=true`), where the runner reads these commands. Returns a function
 * that puts `process.stdout.write` back.
 * Source: GitHub docs "Workflow commands for GitHub Actions" (`::name key=value::message`).
 */
export function routeWorkflowCommands(
  verbose: () => boolean,
  env: NodeJS.ProcessEnv = process.env,
  err: NodeJS.WritableStream = process.stderr,
): () => void {
  if (env.GITHUB_ACTIONS === 'true') return () => {};
  const out = process.stdout;
  const original = out.write;
  const write = out.write.bind(out) as (chunk: unknown, ...rest: unknown[]) => boolean;
  out.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : undefined;
    const m = text === undefined ? null : COMMAND.exec(text.replace(/\r?\n$/, ''));
    if (!m) return write(chunk, ...rest);
    const [, name, data] = m;
    if (name === 'debug') {
      if (verbose()) err.write(`debug: ${unescapeData(data)}\n`);
    } else if (name === 'warning' || name === 'error' || name === 'notice')
      err.write(`${name}: ${unescapeData(data)}\n`);
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof out.write;
  return () => {
    out.write = original;
  };
}
