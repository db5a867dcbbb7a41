/**
 * Variables no child process gets: our own secrets and the runner's tokens. Each is read in this process (or by the
 * runner) and is never needed by a tool we run; a command that does need one passes it in its own `env`.
 * - `WASM_BUILD_PASSWORD`: the CLI's registry password (pipeline cli-args.ts).
 * - `WASM_BUILD_GITHUB_TOKEN`: the CLI's github-token input (pipeline cli-args.ts), for the releases API.
 * - `GITHUB_TOKEN`: GitHub's API for release look-ups, read in this process (toolchain github-release.ts).
 * - `ACTIONS_RUNTIME_TOKEN`: the runner's token for the cache and artifact services.
 * - `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, `ACTIONS_ID_TOKEN_REQUEST_URL`: what mints an OIDC token for the job.
 * Source: GitHub docs, "Variables" (default environment variables) and "About security hardening with OpenID Connect".
 */
export const SECRET_ENV_NAMES: readonly string[] = [
  'WASM_BUILD_PASSWORD',
  'WASM_BUILD_GITHUB_TOKEN',
  'GITHUB_TOKEN',
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_URL',
];

/**
 * Prefixes of variables no child gets: `INPUT_` holds every action input as the runner passes it, `INPUT_PASSWORD`
 * among them (actions/toolkit core.getInput reads `INPUT_<NAME>`).
 */
export const SECRET_ENV_PREFIXES: readonly string[] = ['INPUT_'];

/**
 * True when a child must not inherit `name`. Compared in upper case, since Windows' environment is case-insensitive.
 */
export function isSecretEnv(name: string): boolean {
  const upper = name.toUpperCase();
  return SECRET_ENV_NAMES.includes(upper) || SECRET_ENV_PREFIXES.some((p) => upper.startsWith(p));
}

/**
 * The environment for a child process: `env` (default this process's) without what `isSecretEnv` names, then
 * `extra` on top. `extra` wins, so a command that needs a token says so explicitly in its own `env`.
 */
export function childEnv(extra?: Record<string, string>, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !isSecretEnv(k)) out[k] = v;
  return extra ? Object.assign(out, extra) : out;
}
