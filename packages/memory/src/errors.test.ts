import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  DoubleFreeError,
  HeapCorruptionError,
  HeapkitError,
  InvalidPointerError,
  InvalidSizeError,
  MemoryError,
} from './errors.js';
import * as api from './index.js';
import { alignUp, formatPtr, isPtr, MAX_MEMORY_BYTES, NULL } from './ptr.js';

describe('formatPtr', () => {
  it.each([
    [0, '0x00000000'],
    [16, '0x00000010'],
    [0x1f2a0, '0x0001f2a0'],
    [0xdeadbeef, '0xdeadbeef'],
    [0xffffffff, '0xffffffff'],
  ])('formats %i as %s', (ptr, text) => {
    expect(formatPtr(ptr)).toBe(text);
  });

  it('always gives 0x and at least 8 lowercase hex digits for a pointer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (ptr) => {
        const text = formatPtr(ptr);
        expect(text).toMatch(/^0x[0-9a-f]{8}$/);
        expect(Number.parseInt(text.slice(2), 16)).toBe(ptr);
      }),
    );
  });

  it('shows anything that is not a non-negative integer as it is', () => {
    expect(formatPtr(-1)).toBe('-1');
    expect(formatPtr(1.5)).toBe('1.5');
    expect(formatPtr(Number.NaN)).toBe('NaN');
    expect(formatPtr('16')).toBe('16');
    expect(formatPtr(undefined)).toBe('undefined');
    expect(formatPtr(null)).toBe('null');
  });
});

describe('isPtr', () => {
  it.each([0, 1, 16, 0x7fffffff, 0x80000000, 0xffffffff])('%i is a pointer', (value) => {
    expect(isPtr(value)).toBe(true);
  });

  it.each([-1, -16, 1.5, 2 ** 32, 2 ** 40, Number.NaN, Number.POSITIVE_INFINITY, '16', null, undefined, 16n])(
    '%s is not a pointer',
    (value) => {
      expect(isPtr(value)).toBe(false);
    },
  );

  it('NULL is 0 and is a pointer value; MAX_MEMORY_BYTES is 4 GiB and is not', () => {
    expect(NULL).toBe(0);
    expect(isPtr(NULL)).toBe(true);
    expect(MAX_MEMORY_BYTES).toBe(4 * 1024 * 1024 * 1024);
    expect(isPtr(MAX_MEMORY_BYTES)).toBe(false);
    expect(isPtr(MAX_MEMORY_BYTES - 1)).toBe(true);
  });
});

describe('alignUp', () => {
  it.each([
    [0, 16, 0],
    [1, 16, 16],
    [15, 16, 16],
    [16, 16, 16],
    [17, 16, 32],
    [100, 8, 104],
    [65537, 65536, 131072],
  ])('alignUp(%i, %i) is %i', (n, alignment, expected) => {
    expect(alignUp(n, alignment)).toBe(expected);
  });

  it.each([
    ['a string n', '16', 16],
    ['a BigInt n', 16n, 16],
    ['a negative n', -1, 16],
    ['NaN', Number.NaN, 16],
    ['alignment 24', 16, 24],
    ['alignment 0', 16, 0],
    ['a string alignment', 16, '16'],
  ])('rejects %s with a ConfigurationError', (_label, n, alignment) => {
    expect(() => alignUp(n as never, alignment as never)).toThrow(ConfigurationError);
    expect(() => alignUp(n as never, alignment as never)).toThrow(
      /alignUp: (n must be a non-negative integer|alignment must be a power of two)/,
    );
  });

  it('gives the smallest multiple of the alignment that is not below n', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 }), fc.integer({ min: 0, max: 16 }), (n, shift) => {
        const alignment = 2 ** shift;
        const aligned = alignUp(n, alignment);
        expect(aligned % alignment).toBe(0);
        expect(aligned).toBeGreaterThanOrEqual(n);
        expect(aligned - n).toBeLessThan(alignment);
      }),
    );
  });
});

describe('error classes', () => {
  it('HeapkitError is an Error named HeapkitError', () => {
    const error = new HeapkitError('boom');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('HeapkitError');
    expect(error.message).toBe('boom');
    expect(String(error)).toBe('HeapkitError: boom');
  });

  it('InvalidPointerError names the operation, the pointer in hex and the reason', () => {
    const error = new InvalidPointerError(0x1f2a8, 'misaligned');
    expect(error).toBeInstanceOf(InvalidPointerError);
    expect(error).toBeInstanceOf(HeapkitError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InvalidPointerError');
    expect(error.message).toBe('free(0x0001f2a8): invalid pointer: misaligned');
    expect(error.ptr).toBe(0x1f2a8);
    expect(error.reason).toBe('misaligned');
    expect(String(error)).toBe('InvalidPointerError: free(0x0001f2a8): invalid pointer: misaligned');
    expect(error.stack?.startsWith('InvalidPointerError: free(0x0001f2a8)')).toBe(true);
  });

  it('InvalidPointerError takes the operation and keeps a non-numeric pointer as passed', () => {
    const error = new InvalidPointerError('abc', 'not a number', 'realloc');
    expect(error.message).toBe('realloc(abc): invalid pointer: not a number');
    expect(error.ptr).toBe('abc');
    expect(new InvalidPointerError(-8, 'negative', 'usableSize').message).toBe(
      'usableSize(-8): invalid pointer: negative',
    );
  });

  it('DoubleFreeError is an InvalidPointerError is a HeapkitError is an Error', () => {
    const error = new DoubleFreeError(0x40);
    expect(error).toBeInstanceOf(DoubleFreeError);
    expect(error).toBeInstanceOf(InvalidPointerError);
    expect(error).toBeInstanceOf(HeapkitError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('DoubleFreeError');
    expect(error.ptr).toBe(0x40);
    expect(error.reason).toMatch(/already freed/);
    expect(error.message).toBe(`free(0x00000040): invalid pointer: ${error.reason}`);
    expect(new DoubleFreeError(0x40, 'realloc').message.startsWith('realloc(0x00000040): ')).toBe(true);
    expect(new InvalidPointerError(0x40, 'x')).not.toBeInstanceOf(DoubleFreeError);
  });

  it('HeapCorruptionError names where the damage is and what was found', () => {
    const error = new HeapCorruptionError(0x20010, 'guard byte overwritten');
    expect(error).toBeInstanceOf(HeapkitError);
    expect(error).not.toBeInstanceOf(InvalidPointerError);
    expect(error.name).toBe('HeapCorruptionError');
    expect(error.ptr).toBe(0x20010);
    expect(error.message).toBe('heap corruption at 0x00020010: guard byte overwritten');
  });

  it('MemoryError says how many bytes were requested', () => {
    const error = new MemoryError(4096);
    expect(error).toBeInstanceOf(HeapkitError);
    expect(error.name).toBe('MemoryError');
    expect(error.requested).toBe(4096);
    expect(error.message).toBe('cannot allocate 4096 bytes: memory exhausted');
    expect(new MemoryError(8, 'maxBytes reached').message).toBe('cannot allocate 8 bytes: maxBytes reached');
  });

  it('InvalidSizeError names the operation and the bad size', () => {
    const error = new InvalidSizeError(-1);
    expect(error).toBeInstanceOf(HeapkitError);
    expect(error).not.toBeInstanceOf(InvalidPointerError);
    expect(error.name).toBe('InvalidSizeError');
    expect(error.size).toBe(-1);
    expect(error.message).toBe('malloc: size must be a non-negative integer, got -1');
    const calloc = new InvalidSizeError(Number.NaN, 'calloc');
    expect(calloc.message).toBe('calloc: size must be a non-negative integer, got NaN');
    expect(calloc.size).toBeNaN();
  });

  it('ConfigurationError is a HeapkitError named ConfigurationError', () => {
    const error = new ConfigurationError('poolSize must be a power of two');
    expect(error).toBeInstanceOf(HeapkitError);
    expect(error).not.toBeInstanceOf(InvalidPointerError);
    expect(error.name).toBe('ConfigurationError');
    expect(error.message).toBe('poolSize must be a power of two');
  });

  it('every class has its own name, and instanceof distinguishes siblings', () => {
    const errors = [
      new InvalidPointerError(16, 'x'),
      new DoubleFreeError(16),
      new HeapCorruptionError(16, 'x'),
      new MemoryError(16),
      new InvalidSizeError(16),
      new ConfigurationError('x'),
    ];
    expect(errors.map((e) => e.name)).toEqual([
      'InvalidPointerError',
      'DoubleFreeError',
      'HeapCorruptionError',
      'MemoryError',
      'InvalidSizeError',
      'ConfigurationError',
    ]);
    for (const e of errors) expect(e).toBeInstanceOf(HeapkitError);
    expect(errors.filter((e) => e instanceof MemoryError)).toEqual([errors[3]]);
    expect(errors.filter((e) => e instanceof InvalidPointerError)).toEqual([errors[0], errors[1]]);
  });

  it('the package entry point exports the classes and helpers', () => {
    expect(api.HeapkitError).toBe(HeapkitError);
    expect(api.InvalidPointerError).toBe(InvalidPointerError);
    expect(api.DoubleFreeError).toBe(DoubleFreeError);
    expect(api.HeapCorruptionError).toBe(HeapCorruptionError);
    expect(api.MemoryError).toBe(MemoryError);
    expect(api.InvalidSizeError).toBe(InvalidSizeError);
    expect(api.ConfigurationError).toBe(ConfigurationError);
    expect(api.formatPtr).toBe(formatPtr);
    expect(api.isPtr).toBe(isPtr);
    expect(api.alignUp).toBe(alignUp);
    expect(api.NULL).toBe(0);
    expect(api.PAGE_BYTES).toBe(65536);
    expect(typeof api.Memory).toBe('function');
  });
});
