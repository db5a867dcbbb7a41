import { describe, expect, it } from 'vitest';
import { parseChecksums } from '../src/index.ts';

const A = 'a'.repeat(64);
const B = 'B'.repeat(64);

describe('parseChecksums', () => {
  it.each([
    [
      'binaryen .sha256',
      `${A}  binaryen-version_132-x86_64-linux.tar.gz\n`,
      'binaryen-version_132-x86_64-linux.tar.gz',
      A,
    ],
    [
      'oras checksums.txt',
      `${A}  oras_1.3.0_darwin_amd64.tar.gz\n${B}  oras_1.3.0_linux_amd64.tar.gz\n`,
      'oras_1.3.0_linux_amd64.tar.gz',
      B.toLowerCase(),
    ],
    ['sha256sum binary mode', `${B} *tool.tar.gz\n`, 'tool.tar.gz', B.toLowerCase()],
    ['a lone digest', `${A}\n`, 'anything.tar.gz', A],
  ])('reads %s', (_, text, file, digest) => {
    expect(parseChecksums(text, file, 'https://example/sums')).toBe(digest);
  });

  it('names the file and the source when there is no entry', () => {
    expect(() => parseChecksums(`${A}  other.tar.gz\n`, 'tool.tar.gz', 'https://example/sums')).toThrow(
      'No sha256 for tool.tar.gz in https://example/sums',
    );
    expect(() => parseChecksums('not-a-digest  tool.tar.gz\n', 'tool.tar.gz', 'https://example/sums')).toThrow(
      /^No sha256/,
    );
  });
});
