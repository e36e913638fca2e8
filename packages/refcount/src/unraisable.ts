/**
 * Errors that cannot be raised: an exception thrown by a finalizer or a weakref callback while
 * an object is being deallocated has no caller to go to. As CPython passes them to
 * `sys.unraisablehook`, an {@link ObjectSpace} passes them to its `onUnraisable` hook and goes on.
 */
import { formatPtr, type Ptr } from '@heapkit/memory';

/** What the hook is told (CPython's `UnraisableHookArgs`). */
export interface Unraisable {
  /** What was thrown. */
  readonly error: unknown;
  /** Where it happened, e.g. `finalizer of Node` or `weakref callback`. */
  readonly message: string;
  /** The object concerned (the finalized object, the weakref whose callback threw), or 0. */
  readonly object: Ptr;
}

/** Receives the errors that cannot be raised. */
export type UnraisableHook = (unraisable: Unraisable) => void;

/**
 * The default hook: writes `Exception ignored in <message>: <object>` and the error's stack to
 * standard error (`console.error` where there is no `process`), as `sys.unraisablehook` does.
 */
export function defaultUnraisableHook(unraisable: Unraisable): void {
  const { error, message, object } = unraisable;
  const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  const text = `Exception ignored in ${message}: ${formatPtr(object)}\n${detail}\n`;
  const stderr = (globalThis as { process?: { stderr?: { write(s: string): unknown } } }).process?.stderr;
  if (stderr !== undefined) stderr.write(text);
  else console.error(text);
}
