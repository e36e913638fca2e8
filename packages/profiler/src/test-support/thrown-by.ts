import { expect } from 'vitest';

/** The error `fn` throws; fails the test when it returns instead. */
export function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  return expect.fail('expected an error, but the call returned');
}
