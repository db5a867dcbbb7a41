import { describe, expect, it } from 'vitest';
import { formatImageRef, isLoopbackRegistry, parseImageRef } from '../src/reference.ts';

describe('parseImageRef', () => {
  it.each([
    ['alpine', { registry: 'docker.io', repository: 'library/alpine' }],
    ['org/app:1.0', { registry: 'docker.io', repository: 'org/app', tag: '1.0' }],
    ['ghcr.io/org/app:v1', { registry: 'ghcr.io', repository: 'org/app', tag: 'v1' }],
    ['127.0.0.1:5000/a/b', { registry: '127.0.0.1:5000', repository: 'a/b' }],
    ['localhost/x:latest', { registry: 'localhost', repository: 'x', tag: 'latest' }],
    [`r.io/x@sha256:${'a'.repeat(64)}`, { registry: 'r.io', repository: 'x', digest: `sha256:${'a'.repeat(64)}` }],
  ])('%s', (input, ref) => {
    expect(parseImageRef(input)).toEqual(ref);
  });

  it.each([
    ['', /it is empty/],
    ['ghcr.io/org/app:-bad', /"-bad" is not a valid tag/],
    ['ghcr.io/org/app@sha256:xyz', /"sha256:xyz" is not a sha256 digest/],
    ['ghcr.io/org//app', /"" is not a valid repository path component/],
  ])('rejects %j', (input, message) => {
    expect(() => parseImageRef(input)).toThrow(message);
  });

  it('formats with a pinned digest', () => {
    const d = `sha256:${'b'.repeat(64)}`;
    expect(formatImageRef(parseImageRef('ghcr.io/o/a:v1'), { digest: d })).toBe(`ghcr.io/o/a@${d}`);
    expect(formatImageRef(parseImageRef('ghcr.io/o/a:v1'))).toBe('ghcr.io/o/a:v1');
  });

  it.each([
    ['127.0.0.1:5000', true],
    ['localhost:5000', true],
    ['[::1]:5000', true],
    ['ghcr.io', false],
    ['10.0.0.1:5000', false],
  ])('isLoopbackRegistry(%s) = %s', (r, want) => {
    expect(isLoopbackRegistry(r)).toBe(want);
  });
});

describe('parseImageRef lowercases as docker/metadata-action does', () => {
  it.each([
    ['ghcr.io/MyOrg/App', { registry: 'ghcr.io', repository: 'myorg/app', lowercasedFrom: 'ghcr.io/MyOrg/App' }],
    [
      'GHCR.io/MyOrg/App:V1',
      { registry: 'ghcr.io', repository: 'myorg/app', tag: 'V1', lowercasedFrom: 'GHCR.io/MyOrg/App' },
    ],
    ['Org/App', { registry: 'docker.io', repository: 'org/app', lowercasedFrom: 'Org/App' }],
    ['ghcr.io/myorg/app', { registry: 'ghcr.io', repository: 'myorg/app' }],
  ])('%s', (input, ref) => {
    expect(parseImageRef(input)).toEqual(ref);
  });
});
