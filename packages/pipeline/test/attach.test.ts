import { describe, expect, it } from 'vitest';
import { workspacePath } from '../src/steps/attach.ts';

describe('workspacePath: the crate as the provenance records it, never an absolute path', () => {
  const env = { GITHUB_WORKSPACE: '/home/runner/work/app/app' };
  it('is relative to GITHUB_WORKSPACE, and . for the workspace itself', () => {
    expect(workspacePath('/home/runner/work/app/app/Cargo.toml', env)).toBe('.');
    expect(workspacePath('/home/runner/work/app/app/crates/svc/Cargo.toml', env)).toBe('crates/svc');
  });
  it('names a crate outside the workspace by its directory alone', () => {
    expect(workspacePath('/home/me/elsewhere/svc/Cargo.toml', env)).toBe('svc');
    expect(workspacePath('/home/runner/work/app/..other/Cargo.toml', env)).toBe('..other');
  });
  it('without GITHUB_WORKSPACE, is relative to the current directory', () => {
    expect(workspacePath(`${process.cwd()}/examples/hello/Cargo.toml`, {})).toBe('examples/hello');
  });
});
