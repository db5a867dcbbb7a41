import { describe, expect, it } from 'vitest';
import { checkDigest, isDigest } from '../src/digest.ts';
import type { Descriptor } from '../src/layout.ts';
import { LIMITS } from '../src/limits.ts';
import { checkManifestDescriptors, type ParsedManifest, parseImageConfig, parseManifest } from '../src/manifest.ts';
import { checkTokenRealm } from '../src/registry.ts';

const D = `sha256:${'a'.repeat(64)}`;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const config: Descriptor = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: D, size: 10 };
const layer: Descriptor = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D, size: 10 };

describe('digests', () => {
  it.each([
    [D, true],
    [`sha512:${'0'.repeat(128)}`, true],
    ['sha256:../../../etc/passwd', false],
    [`sha256:${'A'.repeat(64)}`, false],
    [`sha256:${'a'.repeat(63)}`, false],
    [`sha256:${'a'.repeat(65)}`, false],
    [`sha512:${'a'.repeat(64)}`, false],
    [`md5:${'a'.repeat(32)}`, false],
    [`${D}\n`, false],
    [42, false],
  ])('isDigest(%j) is %s', (value, ok) => {
    expect(isDigest(value)).toBe(ok);
  });

  it('checkDigest names where and quotes the value', () => {
    expect(() => checkDigest('sha256:../x', 'the layer 0 descriptor of r/a:1')).toThrow(
      'Invalid digest "sha256:../x" in the layer 0 descriptor of r/a:1',
    );
  });
});

describe('parseManifest', () => {
  const m = { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] };

  it('reads an image manifest and an index', () => {
    expect(parseManifest(json(m), 'r/a:1', OCI_MANIFEST)).toMatchObject({ kind: 'manifest', mediaType: OCI_MANIFEST });
    const index = { schemaVersion: 2, manifests: [{ ...config, mediaType: OCI_MANIFEST }] };
    expect(parseManifest(json(index), 'r/a:1', 'application/vnd.oci.image.index.v1+json; charset=utf-8')).toMatchObject(
      {
        kind: 'index',
        mediaType: 'application/vnd.oci.image.index.v1+json',
      },
    );
  });

  it('takes the media type from the Content-Type when the JSON has none, else from the structure', () => {
    const { mediaType: _, ...bare } = m;
    const docker = 'application/vnd.docker.distribution.manifest.v2+json';
    expect(parseManifest(json(bare), 'r/a:1', docker).mediaType).toBe(docker);
    expect(parseManifest(json(bare), 'r/a:1', 'application/json').mediaType).toBe(OCI_MANIFEST);
  });

  it.each([
    [
      'invalid JSON',
      Buffer.from('{"schemaVersion":2,'),
      undefined,
      'The manifest of r/a:1 is not valid JSON (19 bytes; truncated or corrupt)',
    ],
    ['not an object', json([1]), undefined, 'The manifest of r/a:1 is not a JSON object'],
    [
      'schema 1 by version',
      json({ schemaVersion: 1, fsLayers: [] }),
      undefined,
      'The manifest of r/a:1 is a Docker schema 1 manifest',
    ],
    [
      'schema 1 by Content-Type',
      json({ schemaVersion: 2 }),
      'application/vnd.docker.distribution.manifest.v1+prettyjws',
      'The manifest of r/a:1 is a Docker schema 1 manifest',
    ],
    [
      'an artifact',
      json({ ...m, mediaType: 'application/vnd.oci.artifact.manifest.v1+json' }),
      undefined,
      'The manifest of r/a:1 has media type "application/vnd.oci.artifact.manifest.v1+json", not an image or index',
    ],
    [
      'a Content-Type that contradicts the JSON',
      json(m),
      'application/vnd.oci.image.index.v1+json',
      `The manifest of r/a:1 says it is ${OCI_MANIFEST} but was served as application/vnd.oci.image.index.v1+json`,
    ],
    [
      'an ambiguous document',
      json({ ...m, manifests: [] }),
      undefined,
      'The manifest of r/a:1 is ambiguous: it has both "manifests" and "layers"/"config"',
    ],
    [
      'schemaVersion 3',
      json({ ...m, schemaVersion: 3 }),
      undefined,
      'The manifest of r/a:1 is not a valid image manifest (schemaVersion:',
    ],
    [
      'no config',
      json({ ...m, config: undefined }),
      undefined,
      'The manifest of r/a:1 is not a valid image manifest (config:',
    ],
    [
      'a negative size',
      json({ ...m, layers: [{ ...layer, size: -1 }] }),
      undefined,
      'not a valid image manifest (layers.0.size:',
    ],
    [
      'a fractional size',
      json({ ...m, layers: [{ ...layer, size: 1.5 }] }),
      undefined,
      'not a valid image manifest (layers.0.size:',
    ],
  ])('refuses %s in one line', (_what, bytes, served, message) => {
    expect(() => parseManifest(bytes, 'r/a:1', served)).toThrow(message);
  });
});

describe('checkManifestDescriptors', () => {
  const parsed = (o: Partial<ParsedManifest>): ParsedManifest => ({
    kind: 'manifest',
    mediaType: OCI_MANIFEST,
    config,
    layers: [layer],
    annotations: {},
    ...o,
  });

  it('accepts OCI and Docker v2 configs and layers', () => {
    expect(() => checkManifestDescriptors(parsed({}), 'r')).not.toThrow();
    const docker = parsed({
      config: { ...config, mediaType: 'application/vnd.docker.container.image.v1+json' },
      layers: [{ ...layer, mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' }],
    });
    expect(() => checkManifestDescriptors(docker, 'r')).not.toThrow();
  });

  it.each([
    [
      'a config digest that is a path',
      parsed({ config: { ...config, digest: 'sha256:../../x' } }),
      'Invalid digest "sha256:../../x" in the config descriptor of r',
    ],
    [
      'an empty config (an artifact)',
      parsed({ config: { ...config, mediaType: 'application/vnd.oci.empty.v1+json' } }),
      'Unsupported media type "application/vnd.oci.empty.v1+json" for the image config',
    ],
    [
      'a layer that is not a tar',
      parsed({ layers: [{ ...layer, mediaType: 'application/wasm' }] }),
      'Unsupported media type "application/wasm" for the layer in the layer 0 descriptor of r',
    ],
    [
      'a 5 MiB config',
      parsed({ config: { ...config, size: 5 << 20 } }),
      'The image config in the config descriptor of r is 5242880 bytes, more than the 4194304 allowed',
    ],
    [
      'a 2 GiB layer',
      parsed({ layers: [{ ...layer, size: 2 ** 31 }] }),
      'is 2147483648 bytes, more than the 1073741824 allowed',
    ],
    [
      'two 600 MiB layers',
      parsed({
        layers: [
          { ...layer, size: 600 << 20 },
          { ...layer, size: 600 << 20 },
        ],
      }),
      'The layers of r add up to 1258291200 bytes, more than the 1073741824 allowed',
    ],
    [
      '129 layers',
      parsed({ layers: Array(LIMITS.layers + 1).fill(layer) }),
      'r has 129 layers, more than the 128 allowed',
    ],
  ])('refuses %s', (_what, m, message) => {
    expect(() => checkManifestDescriptors(m, 'r')).toThrow(message);
  });
});

describe('parseImageConfig', () => {
  it('reads the platform and the process, and refuses a config without them in one line', () => {
    const c = parseImageConfig(
      json({ os: 'wasi', architecture: 'wasm', config: { Entrypoint: ['/a.wasm'], Cmd: null } }),
      'r',
    );
    expect(c.config?.Entrypoint).toEqual(['/a.wasm']);
    expect(() => parseImageConfig(json({ architecture: 'wasm' }), 'r')).toThrow(
      'The config of r is not a valid image config (os:',
    );
    expect(() =>
      parseImageConfig(json({ os: 'wasi', architecture: 'wasm', config: { Entrypoint: '/a' } }), 'r'),
    ).toThrow('The config of r is not a valid image config (config.Entrypoint:');
    expect(() => parseImageConfig(Buffer.from(''), 'r')).toThrow('The config of r is not valid JSON');
  });
});

describe('checkTokenRealm', () => {
  it.each([
    ['https://r.io/v2/a', 'https://auth.r.io/token', 'https://auth.r.io/token'],
    ['https://r.io/v2/a', 'https://r.io/token?x=1', 'https://r.io/token?x=1'],
    ['http://127.0.0.1:5000/v2/a', 'http://127.0.0.1:5000/token', 'http://127.0.0.1:5000/token'],
    ['http://127.0.0.1:5000/v2/a', 'https://auth.r.io/token', 'https://auth.r.io/token'],
  ])('a registry at %s may send us to %s', (base, realm, url) => {
    expect(checkTokenRealm(base, realm, 'r').href).toBe(url);
  });

  it.each([
    ['https://r.io/v2/a', 'http://r.io/token', 'the registry is https but its token service is plain HTTP'],
    ['https://r.io/v2/a', 'http://auth.r.io/token', 'the registry is https but its token service is plain HTTP'],
    [
      'http://127.0.0.1:5000/v2/a',
      'http://127.0.0.1:5001/token',
      'it is another origin than http://127.0.0.1:5000 over plain HTTP',
    ],
    ['https://r.io/v2/a', 'file:///etc/passwd', 'file: is not http or https'],
    ['https://r.io/v2/a', 'https://u:p@auth.r.io/token', 'the URL carries a login'],
    ['https://r.io/v2/a', 'not a url', 'sent a token realm that is not a URL'],
  ])('a registry at %s may not send us to %s', (base, realm, why) => {
    expect(() => checkTokenRealm(base, realm, 'r')).toThrow(why);
  });
});
