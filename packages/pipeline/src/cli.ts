#!/usr/bin/env node
import {
  errorLine,
  handleInterrupts,
  routeWorkflowCommands,
  terminalLog,
  UserError,
  useProxyFromEnv,
} from '@wasm-build/kit';
import { formatImageRef, parseImageRef, startLocalRegistry, tagImage } from '@wasm-build/oci';
import { isThreadsTarget } from '@wasm-build/toolchain';
import { type CliCommand, parseCli, USAGE } from './cli-args.ts';
import { runPipeline } from './pipeline.ts';
import { enforceChecks, verifyModule } from './steps/verify.ts';
import { renderStageTable, renderVerify } from './table.ts';
import { readModule } from './verify-bytes.ts';
import { versionReport } from './version.ts';

async function verifyCommand(cmd: CliCommand): Promise<number> {
  const file = cmd.file!;
  const { target, ...o } = cmd.verify!;
  const doc = await verifyModule(readModule(file, 'Pass the path of a .wasm file'), file, {
    ...o,
    threadsTarget: target && isThreadsTarget(target) ? target : undefined,
  });
  if (cmd.json) console.log(JSON.stringify(doc, null, 2));
  else console.log(renderVerify(doc));
  enforceChecks(doc.checks, terminalLog({ verbose: cmd.verbose }));
  return 0;
}

async function pipelineCommand(cmd: CliCommand): Promise<number> {
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
    const result = await runPipeline(options, log, { writeTags: !cmd.noTag });
    if (cmd.json) {
      const { image: _image, ...printable } = result;
      // The entrypoint is what `wasm-build promote --entrypoint` needs to prove the image again.
      console.log(JSON.stringify({ ...printable, entrypoint: result.image?.entrypoint }, null, 2));
    } else {
      if (result.rows.length) console.log(renderStageTable(result.rows));
      if (result.digest)
        console.log(
          `digest: ${result.pushed?.digest ?? result.digest}${result.pushed ? `  (read back from ${result.pushed.ref})` : ''}`,
        );
      for (const s of result.smoke) console.log(`smoke-test stdout (${s.runtime}):\n${s.stdout}`);
    }
    if (!result.ok) {
      console.error(`wasm-build: ${result.error}`);
      return 1;
    }
    return 0;
  } finally {
    await registry?.stop();
  }
}

/** `wasm-build promote`: proves the image pushed by digest once more, then writes its tags (the release's last job). */
async function promoteCommand(cmd: CliCommand): Promise<number> {
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
  useProxyFromEnv();
  let verbose = false;
  // stdout is ours alone (tables, or only JSON with --json): workflow commands go to stderr, debug only with --verbose.
  routeWorkflowCommands(() => verbose);
  let cmd: CliCommand;
  try {
    cmd = parseCli(argv);
    verbose = !!cmd.verbose;
  } catch (e) {
    console.error(`wasm-build: ${errorLine(e)}`);
    return 2;
  }
  if (cmd.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (cmd.kind === 'version') {
    console.log(await versionReport());
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
