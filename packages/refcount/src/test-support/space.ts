import { ArenaAllocator } from '@heapkit/arena-allocator';
import { ObjectSpace, type ObjectSpaceOptions, type Unraisable } from '../index.js';

/** A space over a fresh ArenaAllocator that collects unraisable errors instead of printing them. */
export function makeSpace(options: ObjectSpaceOptions = {}) {
  const allocator = new ArenaAllocator({ debug: options.debug ?? false });
  const unraisable: Unraisable[] = [];
  const space = new ObjectSpace(allocator, { onUnraisable: (u) => unraisable.push(u), ...options });
  return { allocator, space, unraisable };
}
