// The CLI's terminal manners (issue 15, item 2), on kit's terminalLog and terminal.ts: NO_COLOR and FORCE_COLOR,
// ASCII glyphs where Unicode cannot be shown, the run's error printed once, and progress lines whose timer never
// keeps the process alive.
import { type TerminalLogOptions, terminalLog } from '@wasm-build/kit/log';
import { colorEnabled, columnsOf, unicodeEnabled } from '@wasm-build/kit/terminal';
import { afterEach, describe, expect, it, vi } from 'vitest';

function capture(tty = false) {
  const chunks: string[] = [];
  const stream = { isTTY: tty, columns: 80, write: (s: string) => chunks.push(s) > 0 };
  return { chunks, text: () => chunks.join(''), stream: stream as unknown as TerminalLogOptions['stream'] };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences are what is looked for
const ANSI = /\u001b\[/;

describe('colour, glyphs and width from the environment', () => {
  it.each([
    [{ isTTY: true }, {}, true],
    [{ isTTY: false }, {}, false],
    [{ isTTY: true }, { TERM: 'dumb' }, false],
    [{ isTTY: true }, { NO_COLOR: '1' }, false],
    [{ isTTY: true }, { NO_COLOR: '' }, true],
    [{ isTTY: false }, { FORCE_COLOR: '1' }, true],
    [{ isTTY: true }, { FORCE_COLOR: '0' }, false],
    [{ isTTY: true }, { FORCE_COLOR: 'false' }, false],
    [{ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' }, false],
  ])('colour on %j with %j: %s', (stream, env, want) => {
    expect(colorEnabled(stream, env)).toBe(want);
  });

  it.each([
    [{ isTTY: true }, { LANG: 'en_US.UTF-8' }, true],
    [{ isTTY: true }, {}, true],
    [{ isTTY: true }, { LC_ALL: 'C', LANG: 'en_US.UTF-8' }, false],
    [{ isTTY: true }, { LANG: 'C.utf8' }, true],
    [{ isTTY: true }, { TERM: 'dumb', LANG: 'C.UTF-8' }, false],
    [{ isTTY: true }, { TERM: 'linux', LANG: 'C.UTF-8' }, false],
    [{ isTTY: false }, { LANG: 'C.UTF-8', FORCE_COLOR: '1' }, false],
  ])('Unicode on %j with %j: %s', (stream, env, want) => {
    expect(unicodeEnabled(stream, env)).toBe(want);
  });

  it('lays out for the terminal width, else COLUMNS, else 100, never under 40', () => {
    expect(columnsOf({ isTTY: true, columns: 132 }, { COLUMNS: '90' })).toBe(132);
    expect(columnsOf({ isTTY: false }, { COLUMNS: '90' })).toBe(90);
    expect(columnsOf({ isTTY: false }, {})).toBe(100);
    expect(columnsOf({ isTTY: true, columns: 10 }, {})).toBe(40);
  });
});

describe('terminalLog', () => {
  it("writes the stages' glyphs as ASCII without Unicode, coloured only with colour, never on stdout", () => {
    const out = vi.spyOn(process.stdout, 'write');
    const plain = capture();
    const log = terminalLog({ stream: plain.stream, style: { color: false, unicode: false } });
    log.info('▶ build');
    log.info('✔ build: hello.wasm (12 ms)');
    log.warn('careful');
    log.info('\u001b[1m\u001b[32m   Compiling\u001b[0m hello');
    expect(plain.text()).toBe('> build\n+ build: hello.wasm (12 ms)\nwarning: careful\n   Compiling hello\n');
    expect(out).not.toHaveBeenCalled();
    out.mockRestore();

    const fancy = capture();
    const coloured = terminalLog({ stream: fancy.stream, style: { color: true, unicode: true } });
    coloured.info('✔ build: ok');
    expect(fancy.text()).toBe('\u001b[32m✓\u001b[39m build: ok\n');
  });

  it("prints the failing stage's error once: the stage line shortened, the message on the last line", () => {
    const c = capture();
    const log = terminalLog({ stream: c.stream, style: { color: false, unicode: true } });
    const message = 'cargo build failed for /x/Cargo.toml: error[E0308]: mismatched types';
    log.error('error[E0308]: mismatched types\n --> src/main.rs:3:18');
    log.error(`build: ${message}`);
    log.fatal(message);
    const text = c.text();
    expect(text.split(message)).toHaveLength(2);
    expect(text).toBe(
      `error[E0308]: mismatched types\n --> src/main.rs:3:18\n✗ build failed\nwasm-build: ${message}\n`,
    );
  });

  it("keeps an error that is not the run's, and prints a held one before the next line", () => {
    const c = capture();
    const log = terminalLog({ stream: c.stream, style: { color: false, unicode: false } });
    log.error('something else');
    log.info('next');
    log.error('push: late');
    log.fatal('another');
    expect(c.text()).toBe('error: something else\nnext\nerror: push: late\nwasm-build: another\n');
  });

  describe('progress', () => {
    afterEach(() => vi.restoreAllMocks());

    it('prints a line with the elapsed time while a group runs (not a terminal), then stops', async () => {
      const c = capture(false);
      const log = terminalLog({
        stream: c.stream,
        style: { color: false, unicode: false, tty: false },
        progressMs: 20,
      });
      await log.group('cargo build', () => new Promise((r) => setTimeout(r, 70)));
      const lines = c.text().trimEnd().split('\n');
      expect(lines.length).toBeGreaterThanOrEqual(2);
      for (const l of lines) expect(l).toMatch(/^\.\.\. cargo build \(\d+ s\)$/);
      const after = c.chunks.length;
      await new Promise((r) => setTimeout(r, 60));
      expect(c.chunks.length).toBe(after);
    });

    it('on a terminal redraws one line in place, clears it for other lines and at the end', async () => {
      const c = capture(true);
      const log = terminalLog({
        stream: c.stream,
        style: { color: false, unicode: true, tty: true },
        progressMs: 20,
        actions: false,
      });
      await log.group('crun build', async () => {
        await new Promise((r) => setTimeout(r, 50));
        log.info('a line');
        await new Promise((r) => setTimeout(r, 10));
      });
      const text = c.text();
      expect(text).toContain('… crun build (0 s)');
      // The status line is cleared before "a line", which ends with a newline, and redrawn after it.
      expect(text).toContain('\r\u001b[2Ka line\n… crun build');
      expect(text.endsWith('\r\u001b[2K')).toBe(true);
      expect(text).not.toMatch(/\n… crun build \(\d+ s\)\n/);
    });

    it("shows the innermost of nested steps, and its timer is unref'd and cleared", async () => {
      const set = vi.spyOn(globalThis, 'setInterval');
      const clear = vi.spyOn(globalThis, 'clearInterval');
      const c = capture(false);
      const log = terminalLog({
        stream: c.stream,
        style: { color: false, unicode: false, tty: false },
        progressMs: 15,
      });
      await log.group('smoke-test', () => log.group('Build crun', () => new Promise((r) => setTimeout(r, 40))));
      expect(c.text()).toContain('... Build crun (');
      expect(c.text()).not.toContain('smoke-test');
      expect(set).toHaveBeenCalledTimes(1);
      const timer = set.mock.results[0].value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      expect(clear).toHaveBeenCalledWith(timer);
    });

    it('under GitHub Actions folds the outer group (::group::, on stderr) and prints no progress line', async () => {
      const c = capture(false);
      const log = terminalLog({ stream: c.stream, style: { color: false, tty: false }, progressMs: 10, actions: true });
      await log.group('smoke-test', () => log.group('Build crun', () => new Promise((r) => setTimeout(r, 40))));
      expect(c.text()).toBe('::group::smoke-test\n::endgroup::\n');
    });

    it('stops when the step throws', async () => {
      const clear = vi.spyOn(globalThis, 'clearInterval');
      const log = terminalLog({ stream: capture().stream, progressMs: 10, actions: false });
      await expect(log.group('x', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(clear).toHaveBeenCalledTimes(1);
    });
  });

  it('writes nothing but plain text without colour, even from a coloured child', () => {
    const c = capture();
    const log = terminalLog({ stream: c.stream, style: { color: false } });
    log.info('\u001b[31merror\u001b[0m: x');
    log.error('bad');
    log.fatal('bad');
    expect(c.text()).not.toMatch(ANSI);
  });
});
