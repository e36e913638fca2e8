// The workers suite's worker when it runs from source (its tests, under tsx): a worker thread
// does not inherit the test process's TypeScript loader, so register tsx, then load the source.
import { register } from 'tsx/esm/api';

register();
await import('./workers-thread.ts');
