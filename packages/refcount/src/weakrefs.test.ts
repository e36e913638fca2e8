import { describe, expect, it } from 'vitest';
import { makeSpace } from './test-support/space.js';

describe('weak references', () => {
  it('weakrefGet returns a new reference while the target lives and 0 after', () => {
    const { space } = makeSpace();
    const T = space.registerType({ name: 'T' });
    const t = space.alloc(T.id);
    const wr = space.weakref(t);
    expect(space.getRefcount(t)).toBe(1); // a weakref does not own its target
    const strong = space.weakrefGet(wr);
    expect(strong).toBe(t);
    expect(space.getRefcount(t)).toBe(2);
    space.decref(strong);
    space.decref(t);
    expect(space.weakrefGet(wr)).toBe(0);
    expect(space.isAlive(wr)).toBe(true);
    space.decref(wr);
    expect(space.liveObjects()).toBe(0);
  });

  it('callbacks run once, with the weakref, after the target is unreachable, newest first', () => {
    const { space } = makeSpace();
    const T = space.registerType({ name: 'T' });
    const t = space.alloc(T.id);
    const events: string[] = [];
    const make = (name: string) =>
      space.weakref(t, (wr) => {
        events.push(`${name}:${space.weakrefGet(wr)}:${wr === refs[name] ? 'self' : 'other'}`);
      });
    const refs: Record<string, number> = {};
    refs.first = make('first');
    refs.second = make('second');
    refs.third = make('third');
    space.decref(t);
    // As CPython: the most recently registered callback first; the target is already cleared.
    expect(events).toEqual(['third:0:self', 'second:0:self', 'first:0:self']);
    for (const wr of Object.values(refs)) space.decref(wr);
    expect(events).toHaveLength(3);
    expect(space.liveObjects()).toBe(0);
  });

  it('shares the callback-less weakref, as weakref.ref(obj) does', () => {
    const { space } = makeSpace();
    const T = space.registerType({ name: 'T' });
    const t = space.alloc(T.id);
    const a = space.weakref(t);
    const b = space.weakref(t);
    const c = space.weakref(t, () => {});
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(space.getRefcount(a)).toBe(2);
    expect(space.getWeakrefCount(t)).toBe(2);
    expect(space.getWeakrefs(t)).toEqual([a, c]); // the basic ref stays at the head
    expect(space.isWeakref(a)).toBe(true);
    expect(space.isWeakref(t)).toBe(false);
  });

  it('a weakref that dies before its target never calls back and leaves the list', () => {
    const { space } = makeSpace();
    const T = space.registerType({ name: 'T' });
    const t = space.alloc(T.id);
    let called = 0;
    const wr = space.weakref(t, () => called++);
    const keep = space.weakref(t, () => called++);
    space.decref(wr);
    expect(space.getWeakrefCount(t)).toBe(1);
    space.decref(t);
    expect(called).toBe(1);
    space.decref(keep);
    space.validate();
    expect(space.liveObjects()).toBe(0);
  });

  it('a callback that throws is reported and the other callbacks and the deallocation go on', () => {
    const { space, unraisable } = makeSpace();
    const T = space.registerType({ name: 'T', size: 4, refs: [0] });
    const t = space.alloc(T.id);
    const child = space.alloc(T.id);
    space.setRefSteal(t, 0, child);
    let ran = 0;
    const w1 = space.weakref(t, () => ran++);
    const w2 = space.weakref(t, () => {
      throw new Error('callback failed');
    });
    space.decref(t);
    expect(ran).toBe(1);
    expect(unraisable).toHaveLength(1);
    expect(unraisable[0]!.message).toBe('weakref callback');
    expect(unraisable[0]!.object).toBe(w2);
    expect(space.isAlive(t)).toBe(false);
    expect(space.isAlive(child)).toBe(false);
    space.decref(w1);
    space.decref(w2);
    expect(space.liveObjects()).toBe(0);
  });

  it('callbacks run after the finalizer and before the children are released', () => {
    const events: string[] = [];
    const { space } = makeSpace();
    const Child = space.registerType({ name: 'Child', finalize: () => events.push('child finalized') });
    const Parent = space.registerType({
      name: 'Parent',
      size: 4,
      refs: [0],
      finalize: () => events.push('parent finalized'),
    });
    const p = space.alloc(Parent.id);
    space.setRefSteal(p, 0, space.alloc(Child.id));
    const wr = space.weakref(p, () => events.push('callback'));
    space.decref(p);
    expect(events).toEqual(['parent finalized', 'callback', 'child finalized']);
    space.decref(wr);
  });

  it('a callback may drop the last reference to its own weakref', () => {
    const { space } = makeSpace();
    const T = space.registerType({ name: 'T' });
    const t = space.alloc(T.id);
    let wr = 0;
    wr = space.weakref(t, (self) => space.decref(self));
    space.decref(t);
    expect(space.isAlive(wr)).toBe(false);
    expect(space.liveObjects()).toBe(0);
  });

  it('a resurrected target keeps its weakrefs', () => {
    const { space } = makeSpace();
    const held: number[] = [];
    const T = space.registerType({
      name: 'T',
      finalize: (obj) => {
        space.incref(obj);
        held.push(obj);
      },
    });
    const t = space.alloc(T.id);
    let called = 0;
    const wr = space.weakref(t, () => called++);
    space.decref(t);
    expect(called).toBe(0);
    const again = space.weakrefGet(wr);
    expect(again).toBe(t);
    space.decref(again);
    space.decref(held.pop()!);
    expect(called).toBe(1);
    expect(space.weakrefGet(wr)).toBe(0);
  });
});
