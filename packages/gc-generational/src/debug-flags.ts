/** `gc.DEBUG_STATS`: print statistics during collection (through the collector's `debugSink`). */
export const DEBUG_STATS = 1;
/** `gc.DEBUG_COLLECTABLE`: print each collectable object found. */
export const DEBUG_COLLECTABLE = 2;
/** `gc.DEBUG_UNCOLLECTABLE`: print each uncollectable object found (those put in `garbage`). */
export const DEBUG_UNCOLLECTABLE = 4;
/** `gc.DEBUG_SAVEALL`: put every unreachable object in `garbage` instead of freeing it. */
export const DEBUG_SAVEALL = 32;
/** `gc.DEBUG_LEAK`: `DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE | DEBUG_SAVEALL`, to debug a leaking program. */
export const DEBUG_LEAK = DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE | DEBUG_SAVEALL;
/** Every flag `setDebug` accepts. */
export const DEBUG_ALL = DEBUG_STATS | DEBUG_LEAK;
