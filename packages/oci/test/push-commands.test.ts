import { Buildx } from '@docker/actions-toolkit/lib/buildx/buildx.js';
import { describe, expect, it } from 'vitest';
import { type BackendProbe, chooseBackend, explainPushFailure } from '../src/push.ts';
import { buildxBuildArgs, buildxCommand, checkBuildxVersion, wasmDockerfile } from '../src/push-buildx.ts';
import { orasCopyCommand } from '../src/push-oras.ts';
import { skopeoCopyCommand } from '../src/push-skopeo.ts';
import { parseImageRef } from '../src/reference.ts';

const D = `sha256:${'a'.repeat(64)}`;
const base = { layoutDir: '/l', layoutTag: 'v1', digest: D };

describe('skopeoCopyCommand', () => {
  it.each([
    [
      { ref: parseImageRef('127.0.0.1:5000/w/hello:latest') },
      [
        'copy',
        '--preserve-digests',
        '--dest-tls-verify=false',
        '--retry-times',
        '2',
        'oci:/l:v1',
        `docker://127.0.0.1:5000/w/hello@${D}`,
      ],
    ],
    [
      { ref: parseImageRef('ghcr.io/o/a:v1'), authFile: '/tmp/auth/config.json' },
      [
        'copy',
        '--preserve-digests',
        '--dest-authfile',
        '/tmp/auth/config.json',
        '--retry-times',
        '2',
        'oci:/l:v1',
        `docker://ghcr.io/o/a@${D}`,
      ],
    ],
    [
      { ref: parseImageRef('registry.lan:5000/o/a'), insecure: true, tool: '/opt/skopeo' },
      [
        'copy',
        '--preserve-digests',
        '--dest-tls-verify=false',
        '--retry-times',
        '2',
        'oci:/l:v1',
        `docker://registry.lan:5000/o/a@${D}`,
      ],
    ],
    [
      { ref: parseImageRef('localhost:5000/o/a'), insecure: false },
      ['copy', '--preserve-digests', '--retry-times', '2', 'oci:/l:v1', `docker://localhost:5000/o/a@${D}`],
    ],
  ])('%#: pushes by digest, never by tag', (o, args) => {
    expect(skopeoCopyCommand({ ...base, ...o })).toEqual({ command: (o as { tool?: string }).tool ?? 'skopeo', args });
  });
});

describe('orasCopyCommand', () => {
  it.each([
    [
      { ref: parseImageRef('127.0.0.1:5000/w/hello:v2') },
      ['cp', '--from-oci-layout', '--to-plain-http', '/l:v1', `127.0.0.1:5000/w/hello@${D}`],
    ],
    [
      { ref: parseImageRef('ghcr.io/o/a:v1'), authFile: '/t/config.json', tool: '/cache/oras/1.3.0/x64/oras' },
      ['cp', '--from-oci-layout', '--to-registry-config', '/t/config.json', '/l:v1', `ghcr.io/o/a@${D}`],
    ],
    [
      { ref: parseImageRef('docker.io/o/a'), insecure: true },
      ['cp', '--from-oci-layout', '--to-plain-http', '/l:v1', `docker.io/o/a@${D}`],
    ],
  ])('%#', (o, args) => {
    expect(orasCopyCommand({ ...base, ...o })).toEqual({ command: (o as { tool?: string }).tool ?? 'oras', args });
  });
});

describe('buildx', () => {
  const common = { context: '/ctx', dockerfile: '/ctx/Dockerfile', metadataFile: '/tmp/md.json' };
  it.each([
    [
      { ref: parseImageRef('ghcr.io/o/app:v1') },
      [
        'build',
        '--file',
        '/ctx/Dockerfile',
        '--platform',
        'wasi/wasm',
        '--provenance=false',
        '--sbom=false',
        '--annotation',
        'manifest:module.wasm.image/variant=compat-smart',
        '--output',
        'type=image,name=ghcr.io/o/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true',
        '--metadata-file',
        '/tmp/md.json',
        '/ctx',
      ],
    ],
    [
      {
        ref: parseImageRef('127.0.0.1:5000/o/app'),
        annotations: { 'org.opencontainers.image.source': 'https://github.com/o/app', team: 'edge' },
        labels: { 'org.opencontainers.image.title': 'app', tier: 'a=b' },
      },
      [
        'build',
        '--file',
        '/ctx/Dockerfile',
        '--platform',
        'wasi/wasm',
        '--provenance=false',
        '--sbom=false',
        '--annotation',
        'manifest:org.opencontainers.image.source=https://github.com/o/app',
        '--annotation',
        'manifest:team=edge',
        '--annotation',
        'manifest:module.wasm.image/variant=compat-smart',
        '--label',
        'org.opencontainers.image.title=app',
        '--label',
        'tier=a=b',
        '--output',
        'type=image,name=127.0.0.1:5000/o/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true,registry.insecure=true',
        '--metadata-file',
        '/tmp/md.json',
        '/ctx',
      ],
    ],
    [
      // A user annotation cannot take the variant away: compat-smart wins.
      { ref: parseImageRef('r.io/o/app'), annotations: { 'module.wasm.image/variant': 'compat' }, insecure: true },
      [
        'build',
        '--file',
        '/ctx/Dockerfile',
        '--platform',
        'wasi/wasm',
        '--provenance=false',
        '--sbom=false',
        '--annotation',
        'manifest:module.wasm.image/variant=compat-smart',
        '--output',
        'type=image,name=r.io/o/app,push-by-digest=true,name-canonical=true,push=true,oci-mediatypes=true,registry.insecure=true',
        '--metadata-file',
        '/tmp/md.json',
        '/ctx',
      ],
    ],
  ])('build args %#', (o, args) => {
    expect(buildxBuildArgs({ ...common, ...o })).toEqual(args);
  });

  it('goes through the toolkit: docker buildx, or standalone buildx', async () => {
    const o = { ...common, ref: parseImageRef('r.io/o/app') };
    const args = buildxBuildArgs(o);
    expect(await buildxCommand(new Buildx({ standalone: false }), o)).toEqual({
      command: 'docker',
      args: ['buildx', ...args],
    });
    expect(await buildxCommand(new Buildx({ standalone: true }), o)).toEqual({ command: 'buildx', args });
  });

  it('writes a FROM scratch Dockerfile whose entrypoint ends in .wasm', () => {
    expect(wasmDockerfile('hello')).toBe('FROM scratch\nCOPY hello.wasm /hello.wasm\nENTRYPOINT ["/hello.wasm"]\n');
  });

  it.each([['0.11.2'], ['0.9.1']])('refuses buildx %s with the version found', async (v) => {
    await expect(checkBuildxVersion(new Buildx({ standalone: false }), v)).rejects.toThrow(
      `docker buildx ${v} is too old: annotations need buildx 0.12.0 or later`,
    );
  });
  it.each([['0.12.0'], ['0.29.1']])('accepts buildx %s', async (v) => {
    expect(await checkBuildxVersion(new Buildx({ standalone: false }), v)).toBe(v);
  });
});

describe('chooseBackend', () => {
  const probe = (buildx: string | undefined, onPath: string[]): BackendProbe => ({
    buildxVersion: async () => buildx,
    onPath: async (t) => onPath.includes(t),
  });
  it.each([
    ['auto', probe('0.29.1', ['oras']), 'buildx', 'docker buildx 0.29.1 found (≥ 0.12.0)'],
    ['auto', probe('0.11.2', ['oras']), 'oras', 'buildx 0.11.2 is older than 0.12.0; oras found on PATH'],
    ['auto', probe(undefined, []), 'builtin', 'no docker buildx, no oras on PATH; the built-in registry client'],
    [
      'auto',
      probe('0.11.2', []),
      'builtin',
      'buildx 0.11.2 is older than 0.12.0, no oras on PATH; the built-in registry client',
    ],
    ['skopeo', probe('0.29.1', ['oras']), 'skopeo', 'backend: skopeo was asked for'],
    ['oras', probe(undefined, []), 'oras', 'backend: oras was asked for'],
  ] as const)('%s with %#', async (requested, p, backend, reason) => {
    expect(await chooseBackend(requested, p)).toEqual({ backend, reason });
  });
});

describe('explainPushFailure', () => {
  it.each([
    ['dial tcp 127.0.0.1:1: connect: connection refused', /unreachable/],
    ['unauthorized: authentication required', /refused the credentials \(401\)/],
    ['denied: requested access to the resource is denied', /denied the push \(403\)/],
    ['http: server gave HTTP response to HTTPS client', /speaks plain HTTP/],
    ['received unexpected HTTP status: 503 Service Unavailable', /kept failing/],
  ])('%s', (stderr, cause) => {
    expect(explainPushFailure(stderr, 'r.io').cause).toMatch(cause);
  });
});
