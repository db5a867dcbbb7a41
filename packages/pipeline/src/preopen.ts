/** Parses a preopen `HOST[:GUEST]` (GUEST defaults to `/data`); undefined or empty gives undefined. */
export function parsePreopen(spec: string | undefined): { host: string; guest: string } | undefined {
  if (!spec) return undefined;
  const i = spec.indexOf(':');
  return i < 0 ? { host: spec, guest: '/data' } : { host: spec.slice(0, i), guest: spec.slice(i + 1) };
}
