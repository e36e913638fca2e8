/** Helpers for the tests: an interpreter that prints into a string, and heap measurements. */
import { fileURLToPath } from 'node:url';
import { Interpreter, type InterpreterOptions } from '../interpreter.js';

/** The path of an example program. */
export function examplePath(name: string): string {
  return fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
}

/** An interpreter whose output is collected in `out()`. */
export function capture(options: InterpreterOptions = {}): { interp: Interpreter; out: () => string } {
  let text = '';
  const interp = new Interpreter({ ...options, output: (s) => (text += s) });
  return { interp, out: () => text };
}

/** Bytes in use once the free lists are given back to the allocator. */
export function settledBytes(interp: Interpreter): number {
  interp.heap.space.clearFreeLists();
  return interp.heap.bytesInUse();
}

/** Drops the program's globals, collects, and returns the settled bytes in use. */
export function bytesAfterReset(interp: Interpreter): number {
  interp.reset();
  interp.heap.gc.collect();
  return settledBytes(interp);
}
