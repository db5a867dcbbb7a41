// The runner's proxy for every fetch of the process. undici (about 550 KB of JavaScript) is imported only when a
// proxy variable is set: without one, Node's own fetch needs nothing from it.

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

/** True when `env` names a proxy (`HTTPS_PROXY`/`HTTP_PROXY`, either case): requests must then go through fetch. */
export function proxyConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return PROXY_VARS.some((v) => env[v]);
}

/**
 * Routes every `fetch` of this process through the proxy the environment names (`HTTPS_PROXY`/`HTTP_PROXY`, either
 * case; hosts in `NO_PROXY` go direct), as `@actions/tool-cache` and the runner itself do. A no-op without proxy
 * variables (undici is then not loaded). Resolves to whether a proxy is in use. Source: undici `EnvHttpProxyAgent`
 * (nodejs/undici docs/api/EnvHttpProxyAgent.md); Node's fetch uses undici's global dispatcher.
 */
export async function useProxyFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (!proxyConfigured(env)) return false;
  const { EnvHttpProxyAgent, setGlobalDispatcher } = await import('undici');
  setGlobalDispatcher(new EnvHttpProxyAgent());
  return true;
}
