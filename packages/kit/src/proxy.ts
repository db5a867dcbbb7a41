// The runner's proxy for every fetch of the process. Apart from http.ts, so that only a process that sets up its
// network (an action, a CLI command that pushes or installs) loads undici.
import { EnvHttpProxyAgent, setGlobalDispatcher } from 'undici';

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

/**
 * Routes every `fetch` of this process through the proxy the environment names (`HTTPS_PROXY`/`HTTP_PROXY`, either
 * case; hosts in `NO_PROXY` go direct), as `@actions/tool-cache` and the runner itself do. A no-op without proxy
 * variables. Returns whether a proxy is in use. Source: undici `EnvHttpProxyAgent` (nodejs/undici
 * docs/api/EnvHttpProxyAgent.md); Node's fetch uses undici's global dispatcher.
 */
export function useProxyFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  if (!PROXY_VARS.some((v) => env[v])) return false;
  setGlobalDispatcher(new EnvHttpProxyAgent());
  return true;
}
