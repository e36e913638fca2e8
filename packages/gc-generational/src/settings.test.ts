import { ArenaAllocator } from '@heapkit/arena-allocator';
import { ObjectSpace } from '@heapkit/refcount';
import { describe, expect, it } from 'vitest';
import { CycleCollector, type CycleCollectorOptions, InvalidSettingError } from './index.js';

describe('CycleCollector options', () => {
  it('bad options are a typed error that names what to pass; the space stays usable and unattached', () => {
    const space = new ObjectSpace(new ArenaAllocator());
    const bad: unknown[] = [
      null,
      [],
      { automatic: 'sometimes' },
      { thresholds: [1, 2] },
      { thresholds: [1, 2, -3] },
      { debugSink: 'stderr' },
      { scaleYoungThreshold: 'yes' },
      { threshold: [1, 2, 3] }, // a misspelt key is not ignored
    ];
    for (const options of bad) {
      expect(() => new CycleCollector(space, options as CycleCollectorOptions)).toThrow(InvalidSettingError);
    }
    expect(() => new CycleCollector(space, { threshold: [1, 2, 3] } as CycleCollectorOptions)).toThrow(
      /unknown option 'threshold' \(pass automatic, thresholds, debugSink or scaleYoungThreshold\)/,
    );
    // Nothing was attached by the failed constructions: a good one still can, and works.
    const gc = new CycleCollector(space, { thresholds: [5, 10, 10] });
    expect(gc.getThreshold()).toEqual([5, 10, 10]);
    const Pair = space.registerType({ name: 'Pair', size: 8, refs: [0, 4], gc: true });
    const p = space.alloc(Pair.id);
    space.setRef(p, 0, p);
    space.decref(p);
    expect(gc.collect()).toBe(1);
    space.validate();
  });
});
