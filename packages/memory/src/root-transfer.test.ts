import { describe, expect, it } from 'vitest';
import { ConfigurationError, InvalidPointerError, InvalidSizeError } from './errors.js';
import { Memory } from './memory.js';

describe('the root region', () => {
  it('is absent until reserved, then found by every Memory over the same backing', () => {
    const memory = new Memory({ maxBytes: 1 << 22, shared: true });
    expect(memory.root()).toBe(0);
    const owner = memory.registerOwner('record');
    const first = memory.reserveRoot(4096, owner, 256);
    expect(first.created).toBe(true);
    expect(first.start % 256).toBe(0);
    expect(memory.root()).toBe(first.start);
    // Another thread's view of the same buffer (a second Memory over the WebAssembly.Memory).
    const other = new Memory({ buffer: memory.wasmMemory! });
    expect(other.root()).toBe(first.start);
    const again = other.reserveRoot(4096, other.registerOwner('late'), 256);
    expect(again).toEqual({ start: first.start, created: false });
    expect(memory.regionOf(first.start)?.owner).toBe(owner);
  });

  it('is zero-filled even when it reuses a released region full of old bytes', () => {
    const memory = new Memory({ maxBytes: 1 << 22 });
    const owner = memory.registerOwner('scratch');
    const a = memory.reserve(8192, owner);
    memory.reserve(16, owner); // keeps the break above a, so a is reused rather than dropped
    memory.u8.fill(0xab, a, a + 8192);
    memory.release(a, owner);
    const { start, created } = memory.reserveRoot(4096, owner);
    expect(created).toBe(true);
    expect(start).toBe(a);
    expect(memory.u8.subarray(start, start + 4096).every((b) => b === 0)).toBe(true);
  });

  it('returns start 0 when the memory cannot hold it, and stays unset', () => {
    const memory = new Memory({ initialBytes: 65536, maxBytes: 65536 });
    const owner = memory.registerOwner('big');
    expect(memory.reserveRoot(1 << 20, owner)).toEqual({ start: 0, created: false });
    expect(memory.root()).toBe(0);
  });

  it('rejects bad arguments with typed errors', () => {
    const memory = new Memory({ maxBytes: 1 << 22 });
    const owner = memory.registerOwner('x');
    expect(() => memory.reserveRoot(-1, owner)).toThrow(InvalidSizeError);
    expect(() => memory.reserveRoot(64, 0)).toThrow(ConfigurationError);
    expect(() => memory.reserveRoot(64, owner, 24)).toThrow(ConfigurationError);
    expect(() => memory.reserveRoot('64' as unknown as number, owner)).toThrow(InvalidSizeError);
    expect(memory.root()).toBe(0);
  });
});

describe('transfer', () => {
  it('hands a region to another owner, changing nothing else', () => {
    const memory = new Memory({ maxBytes: 1 << 22 });
    const a = memory.registerOwner('a');
    const b = memory.registerOwner('b');
    const r = memory.reserve(4096, a);
    const header = memory.regionHeader();
    memory.transfer(r, a, b);
    expect(memory.regionOf(r)).toEqual({ start: r, end: r + 4096, owner: b });
    expect(memory.regionHeader()).toEqual(header);
    expect(() => memory.release(r, a)).toThrow(InvalidPointerError);
    memory.release(r, b);
  });

  it('refuses a region the giver does not own, or an address that starts none, changing nothing', () => {
    const memory = new Memory({ maxBytes: 1 << 22 });
    const a = memory.registerOwner('a');
    const b = memory.registerOwner('b');
    const r = memory.reserve(4096, a);
    expect(() => memory.transfer(r, b, a)).toThrow(/not the start of a region of owner/);
    expect(() => memory.transfer(r + 16, a, b)).toThrow(InvalidPointerError);
    expect(() => memory.transfer(1 << 21, a, b)).toThrow(/beyond the break/);
    expect(() => memory.transfer(1.5, a, b)).toThrow(InvalidPointerError);
    expect(() => memory.transfer(r, a, -1)).toThrow(ConfigurationError);
    expect(memory.regionOf(r)?.owner).toBe(a);
  });
});
