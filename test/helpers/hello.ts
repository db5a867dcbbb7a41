// The README's smoke test of examples/hello, as CLI flags: an argument, a variable, and the line it must print.
export const HELLO_SMOKE_ARGS: readonly string[] = [
  '--arg',
  'world',
  '--env',
  'GREETING=hi',
  '--expect-stdout',
  'Hello from wasm-build!',
];
