import * as core from '@actions/core';
import { errorLine, UserError } from './errors.ts';
import { handleInterrupts } from './lifecycle.ts';
import { useProxyFromEnv } from './proxy.ts';

/**
 * Runs an action's main function as the runner expects: on failure, one error annotation with the message and the
 * fix (`core.setFailed`, exit code 1); an internal fault's stack goes to the debug log, a user error shows none.
 * A cancelled step (SIGINT, then SIGTERM) stops its children, removes auth files and temp dirs and exits 130/143
 * (`handleInterrupts`). Every request goes through the runner's proxy (`useProxyFromEnv`).
 * Source: actions/toolkit docs (core.setFailed); docker/actions-toolkit `run(main, post)`.
 */
export async function runAction(main: () => Promise<void>): Promise<void> {
  handleInterrupts();
  try {
    await useProxyFromEnv();
    await main();
  } catch (e) {
    core.setFailed(errorLine(e));
    if (!(e instanceof UserError) && e instanceof Error && e.stack) core.debug(e.stack);
  }
}
