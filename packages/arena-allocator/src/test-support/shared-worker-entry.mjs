// Worker entry for workers.test.ts: worker threads do not inherit the test process's TypeScript
// loader, so register tsx here, then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./shared-worker.ts');
