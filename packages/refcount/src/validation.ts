/**
 * `validate()`: walks every live object and checks what the fast paths trust: the header names
 * a registered type, the count is at least 1 (0 only while a deallocation runs) and at least the
 * number of references from other objects, every reference slot holds a live object, and the
 * weakref lists agree with the headers. The first damage found is a `HeapCorruptionError`.
 */
import { formatPtr, HeapCorruptionError } from '@heapkit/memory';
import { isLive, type SpaceCore } from './core.js';
import { HAS_WEAKREFS, IMMORTAL_REFCOUNT, REFCOUNT_WORD, TYPE_ID_MASK, TYPE_WORD } from './header.js';
import { nameOf } from './raise.js';
import { visitOwned } from './referents.js';
import { T_WEAKREF } from './types.js';

export function validate(c: SpaceCore): void {
  const incoming = new Map<number, number>();
  c.states.forEachLive((obj) => {
    const word = c.i32[(obj >>> 2) + TYPE_WORD]!;
    const t = word & TYPE_ID_MASK;
    if (t < 1 || t >= c.types.count) {
      throw new HeapCorruptionError(obj, `the header's type id ${t} is not a registered type`);
    }
    const rc = c.i32[(obj >>> 2) + REFCOUNT_WORD]!;
    if (rc < 1 && !(rc === 0 && c.draining)) {
      throw new HeapCorruptionError(obj, `${nameOf(c, t)} has refcount ${rc}`);
    }
    if (((word & HAS_WEAKREFS) !== 0) !== c.weakrefs.hasList(obj)) {
      throw new HeapCorruptionError(obj, 'the HAS_WEAKREFS bit disagrees with the weakref table');
    }
    visitOwned(c, obj, t, (child) => {
      if (!isLive(c, child)) {
        throw new HeapCorruptionError(
          obj,
          `a reference slot holds ${formatPtr(child)}, which is not a live object`,
        );
      }
      incoming.set(child, (incoming.get(child) ?? 0) + 1);
    });
    if ((c.tFlags[t]! & T_WEAKREF) !== 0) {
      const target = c.weakrefs.target(obj);
      if (target !== 0 && (!isLive(c, target) || !c.weakrefs.list(target).includes(obj))) {
        throw new HeapCorruptionError(
          obj,
          `the weakref's target ${formatPtr(target)} is not live or does not list it`,
        );
      }
    }
  });
  for (const [obj, n] of incoming) {
    const rc = c.i32[(obj >>> 2) + REFCOUNT_WORD]!;
    if (rc < IMMORTAL_REFCOUNT && rc < n) {
      throw new HeapCorruptionError(obj, `refcount ${rc} is below the ${n} references held by other objects`);
    }
  }
}
