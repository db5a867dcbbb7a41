#!/usr/bin/env node
// Only what parsing the arguments needs is imported here, each from its own module rather than a package's index:
// every command imports the rest when it runs, so `--help`, `--version` and `verify` never load the pipeline, the
// docker toolkit, the tool cache or the registry client (test/cli-package.test.itg.ts proves it on the bundle).
import { errorLine, UserError } from '@wasm-build/kit/errors';
import { handleInterrupts } from '@wasm-build/kit/lifecycle';
import { routeWorkflowCommands } from '@wasm-build/kit/terminal';
import type { CliCommand } from './cli-args.ts';

const printUsage = async () => console.log((await import('./cli-usage.ts')).USAGE);
const printVersion = async () => console.log(await (await import('./version.ts')).versionReport());

async function verifyCommand(cmd: CliCommand): Promise<number> {
  const [{ terminalLog }, { isThreadsTarget }, { enforceChecks, verifyModuleFile }, { renderVerify, stdoutStyle }] =
    await Promise.all([
      import('@wasm-build/kit/log'),
      import('@wasm-build/toolchain/targets'),
      import('./steps/verify.ts'),
      import('./table.ts'),
    ]);
  const file = cmd.file!;
  const { target, ...o } = cmd.verify!;
  const checks = { ...o, threadsTarget: target && isThreadsTarget(target) ? target : undefined };
  const doc = await verifyModuleFile(file, checks, 'Pass the path of a .wasm file');
  if (cmd.json) console.log(JSON.stringify(doc, null, 2));
  else console.log(renderVerify(doc, stdoutStyle()));
  enforceChecks(doc.checks, terminalLog({ verbose: cmd.verbose }));
  return 0;
}

async function pipelineCommand(cmd: CliCommand): Promise<number> {
  const [
    { terminalLog },
    { useProxyFromEnv },
    { parseImageRef },
    { startLocalRegistry },
    { runPipeline },
    { renderStageTable, stdoutStyle },
  ] = await Promise.all([
    import('@wasm-build/kit/log'),
    import('@wasm-build/kit/proxy'),
    import('@wasm-build/oci/reference'),
    import('@wasm-build/oci/local-registry'),
    import('./pipeline.ts'),
    import('./table.ts'),
  ]);
  await useProxyFromEnv();
  const log = terminalLog({ verbose: cmd.verbose });
  const options = cmd.options!;
  const registry = cmd.localRegistry ? await startLocalRegistry() : undefined;
  try {
    if (
      registry &&
      options.image &&
      parseImageRef(options.image).registry === 'docker.io' &&
      !options.image.startsWith('docker.io/')
    ) {
      options.image = `${registry.address}/${options.image}`;
      log.info(`Local registry on ${registry.address}: pushing to ${options.image}`);
    }
    // A tool to install (binaryen, a runtime) needs a tool cache; outside Actions it is the user's cache directory.
    if (cmd.toolCache) process.env.RUNNER_TOOL_CACHE = cmd.toolCache;
    const result = await runPipeline(options, log, { ...cmd.extra, writeTags: !cmd.noTag });
    if (cmd.json) {
      const { image: _image, ...printable } = result;
      // The entrypoint is what `wasm-build promote --entrypoint` needs to prove the image again.
      console.log(JSON.stringify({ ...printable, entrypoint: result.image?.entrypoint }, null, 2));
    } else {
      // The error is printed once, last, on stderr (log.fatal): the table does not repeat it.
      if (result.rows.length) console.log(renderStageTable(result.rows, { ...stdoutStyle(), errorBelow: true }));
      if (result.digest)
        console.log(
          `digest: ${result.pushed?.digest ?? result.digest}${result.pushed ? `  (read back from ${result.pushed.ref})` : ''}`,
        );
      for (const s of result.smoke) console.log(`smoke-test stdout (${s.runtime}):\n${s.stdout}`);
    }
    if (!result.ok) {
      log.fatal(result.error ?? 'the run failed');
      return 1;
    }
    return 0;
  } finally {
    await registry?.stop();
  }
}

/** `wasm-build promote`: proves the image pushed by digest once more, then writes its tags (the release's last job). */
async function promoteCommand(cmd: CliCommand): Promise<number> {
  const [{ terminalLog }, { useProxyFromEnv }, { formatImageRef }, { tagImage }] = await Promise.all([
    import('@wasm-build/kit/log'),
    import('@wasm-build/kit/proxy'),
    import('@wasm-build/oci/reference'),
    import('@wasm-build/oci/push'),
  ]);
  await useProxyFromEnv();
  const p = cmd.promote!;
  const log = terminalLog({ verbose: cmd.verbose });
  const r = await tagImage(
    {
      ref: p.ref,
      expected: { digest: p.digest, wasmDigest: p.wasmSha256, entrypoint: p.entrypoint },
      tags: p.tags,
      insecure: p.insecure,
      credentials: p.username && p.password ? { username: p.username, password: p.password } : undefined,
    },
    log,
  );
  const tagged = r.tags.map((t) => formatImageRef({ registry: p.ref.registry, repository: p.ref.repository, tag: t }));
  if (cmd.json) console.log(JSON.stringify({ digest: r.proof.digest, imageRef: r.proof.ref, tags: tagged }, null, 2));
  else {
    console.log(`read back ${r.proof.ref}: digest, ${r.proof.platform}, compat-smart, layer sha256 match`);
    for (const t of tagged) console.log(`tagged ${t}`);
  }
  return 0;
}

/**
 * Runs the CLI; returns the exit code (0 ok, 1 a stage failed, 2 bad usage). Never prints a stack trace for user errors.
 * SIGINT/SIGTERM stop the children (and the `--local-registry`), remove auth files and temp dirs, and exit 130/143.
 */
export async function main(argv: string[]): Promise<number> {
  handleInterrupts();
  let verbose = false;
  // stdout is ours alone (tables, or only JSON with --json): workflow commands go to stderr, debug only with --verbose.
  routeWorkflowCommands(() => verbose);
  // `--help` or `--version` alone is answered before the parser and its option schemas (zod, RE2) load.
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) return printUsage().then(() => 0);
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) return printVersion().then(() => 0);
  let cmd: CliCommand;
  try {
    // verify (and help, version) is parsed without the pipeline's option schemas: zod, RE2 and the toolchain's
    // modules cost `wasm-build verify` about 7 MiB of peak RSS (cli-verify-args.ts); the rest loads cli-args.ts.
    const { parseCliLight } = await import('./cli-verify-args.ts');
    cmd = parseCliLight(argv) ?? (await import('./cli-args.ts')).parseCli(argv);
    verbose = !!cmd.verbose;
  } catch (e) {
    console.error(`wasm-build: ${errorLine(e)}`);
    return 2;
  }
  if (cmd.kind === 'help') {
    await printUsage();
    return 0;
  }
  if (cmd.kind === 'version') {
    await printVersion();
    return 0;
  }
  try {
    if (cmd.kind === 'promote') return await promoteCommand(cmd);
    return cmd.kind === 'verify' ? await verifyCommand(cmd) : await pipelineCommand(cmd);
  } catch (e) {
    console.error(`wasm-build: ${errorLine(e)}`);
    if (!(e instanceof UserError) && e instanceof Error && cmd.verbose) console.error(e.stack);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
