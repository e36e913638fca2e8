/**
 * Models of a graph of objects for the property tests: objects are indices, `slots[i]` lists
 * what object `i` refers to (-1: an empty slot).
 */

/** The objects reachable from `roots` through the slots. */
export function reachableFrom(roots: Iterable<number>, slots: readonly (readonly number[])[]): Set<number> {
  const reachable = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (reachable.has(i)) continue;
    reachable.add(i);
    for (const to of slots[i]!) if (to >= 0) stack.push(to);
  }
  return reachable;
}

/**
 * What reference counting alone frees once `dropped` reach a count of zero: each freed object
 * drops its references, and so on. `rc` holds the counts and is counted down.
 */
export function freedByRefcount(
  rc: number[],
  slots: readonly (readonly number[])[],
  dropped: Iterable<number>,
): Set<number> {
  const freed = new Set<number>();
  const zero = [...dropped];
  while (zero.length > 0) {
    const i = zero.pop()!;
    if (freed.has(i)) continue;
    freed.add(i);
    for (const to of slots[i]!) if (to >= 0 && --rc[to]! === 0) zero.push(to);
  }
  return freed;
}
