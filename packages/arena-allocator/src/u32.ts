/**
 * A number that is an integer from 0 to 2^32-1: a well-formed pointer or size. Never throws (a
 * BigInt is false).
 *
 * The fast paths bind it to a `const` of their own module (`const isU32 = isU32Value`): V8 folds a
 * module's own initialised `const` into the code, while an imported binding is read through its
 * module cell at every use, and a called import has its identity checked before it is inlined.
 */
export function isU32(x: unknown): x is number {
  return typeof x === 'number' && x >>> 0 === x;
}
