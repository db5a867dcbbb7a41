import { describe, expect, it } from 'vitest';
import { explainPushFailure, skopeoCopyCommand } from '../src/push-skopeo.ts';
import { parseImageRef } from '../src/reference.ts';

describe('skopeoCopyCommand', () => {
  it.each([
    [
      { ref: parseImageRef('127.0.0.1:5000/w/hello:latest') },
      [
        'copy',
        '--preserve-digests',
        '--dest-tls-verify=false',
        'oci:/l:latest',
        'docker://127.0.0.1:5000/w/hello:latest',
      ],
    ],
    [
      { ref: parseImageRef('ghcr.io/o/a:v1'), authFile: '/tmp/auth.json', retryTimes: 3 },
      [
        'copy',
        '--preserve-digests',
        '--dest-authfile',
        '/tmp/auth.json',
        '--retry-times',
        '3',
        'oci:/l:latest',
        'docker://ghcr.io/o/a:v1',
      ],
    ],
    [
      { ref: parseImageRef('registry.lan:5000/o/a:v1'), insecure: true },
      ['copy', '--preserve-digests', '--dest-tls-verify=false', 'oci:/l:latest', 'docker://registry.lan:5000/o/a:v1'],
    ],
  ])('%#', (o, args) => {
    expect(skopeoCopyCommand({ layoutDir: '/l', layoutTag: 'latest', ...o })).toEqual({ command: 'skopeo', args });
  });
});

describe('explainPushFailure', () => {
  it.each([
    ['dial tcp 127.0.0.1:1: connect: connection refused', /unreachable/],
    ['unauthorized: authentication required', /refused the credentials \(401\)/],
    ['denied: requested access to the resource is denied', /denied the push \(403\)/],
    ['http: server gave HTTP response to HTTPS client', /speaks plain HTTP/],
  ])('%s', (stderr, cause) => {
    expect(explainPushFailure(stderr, 'r.io').cause).toMatch(cause);
  });
});
