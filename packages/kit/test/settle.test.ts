import { describe, expect, it } from 'vitest';
import { allInOrder } from '../src/settle.ts';

const later = <T>(ms: number, f: () => T) => new Promise<T>((resolve) => setTimeout(resolve, ms)).then(f);

describe('allInOrder', () => {
  it('resolves to the values in order', async () => {
    expect(await allInOrder([later(20, () => 'a'), later(1, () => 'b'), Promise.resolve('c')])).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('rejects with the first failure in array order, not the first in time, once every promise has settled', async () => {
    let lastDone = false;
    const first = later(30, () => {
      throw new Error('first in order');
    });
    const second = later(1, () => {
      throw new Error('first in time');
    });
    const third = later(50, () => {
      lastDone = true;
    });
    await expect(allInOrder([first, second, third])).rejects.toThrow('first in order');
    expect(lastDone).toBe(true);
  });
});
