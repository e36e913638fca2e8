/**
 * What the debug flags print (CPython's `gc: ...` lines), through the collector's `debugSink`.
 * A sink is user code: one that throws is reported to `onUnraisable` and the collection goes on.
 */
import { formatPtr } from '@heapkit/memory';
import type { ObjectSpace } from '@heapkit/refcount';
import { objectOf } from './gc-head.js';
import { listNext, listSize } from './gc-lists.js';
import type { SpacePort } from './space-port.js';

export class DebugOutput {
  constructor(
    private readonly space: ObjectSpace,
    private readonly port: SpacePort,
    private readonly sink: (line: string) => void = defaultSink,
  ) {}

  /** Writes one line; a sink that throws is reported. */
  say(line: string): void {
    try {
      this.sink(line);
    } catch (error) {
      this.port.report(error, 'gc debugSink', 0);
    }
  }

  /** `DEBUG_STATS` at the start: the generation and the size of each list. */
  start(generation: number, generationHeads: readonly number[], permanent: number): void {
    const u32 = this.space.memory.u32;
    this.say(`gc: collecting generation ${generation}...`);
    this.say(`gc: objects in each generation: ${generationHeads.map((h) => listSize(u32, h)).join(' ')}`);
    this.say(`gc: objects in permanent generation: ${listSize(u32, permanent)}`);
  }

  /** `DEBUG_STATS` at the end. */
  done(unreachable: number, uncollectable: number, milliseconds: number): void {
    this.say(
      `gc: done, ${unreachable} unreachable, ${uncollectable} uncollectable, ${(milliseconds / 1000).toFixed(4)}s elapsed`,
    );
  }

  /** `DEBUG_COLLECTABLE` / `DEBUG_UNCOLLECTABLE`: one line per object of the list. */
  list(head: number, what: 'collectable' | 'uncollectable'): void {
    for (let node = listNext(this.space.memory.u32, head); node !== head; ) {
      const obj = objectOf(node);
      this.say(`gc: ${what} <${this.space.typeName(obj)} ${formatPtr(obj)}>`);
      node = listNext(this.space.memory.u32, node); // the sink may have allocated
    }
  }
}

/** The default sink: standard error (`console.log` where there is no `process`). */
export function defaultSink(line: string): void {
  const stderr = (globalThis as { process?: { stderr?: { write(s: string): unknown } } }).process?.stderr;
  if (stderr !== undefined) stderr.write(`${line}\n`);
  else console.log(line);
}
