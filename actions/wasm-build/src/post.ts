// The root action's post step (action.yml `runs.post`, `post-if: success()`): saves the cargo cache.
import { actionsLog, runAction } from '@wasm-build/kit';
import { saveFromState } from './cache.ts';

void runAction(() => saveFromState(actionsLog()));
