/**
 * A growable stack of pointers in a typed array: the deallocation queue (CPython's trashcan
 * keeps the same kind of list so that freeing a long chain never recurses).
 */
export class PtrStack {
  private items = new Uint32Array(1024);
  /** Number of pointers on the stack. */
  length = 0;

  push(ptr: number): void {
    if (this.length === this.items.length) {
      const items = new Uint32Array(this.items.length * 2);
      items.set(this.items);
      this.items = items;
    }
    this.items[this.length++] = ptr;
  }

  /** The top pointer, removed. The stack must not be empty. */
  pop(): number {
    return this.items[--this.length]!;
  }
}
