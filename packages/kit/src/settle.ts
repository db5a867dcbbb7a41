/**
 * `Promise.all` whose failure does not depend on timing: waits for every promise, then rejects with the first
 * rejection in array order (the error a sequential loop would have met first), else resolves to the values in order.
 * Source: ECMAScript `Promise.allSettled`.
 */
export async function allInOrder<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
