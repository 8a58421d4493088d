// Worker entry: registers tsx in the worker, then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./kafka-worker.ts');
