// jest loads global setup outside its own module system, so the TypeScript runs through tsx.
import { register } from 'tsx/esm/api';

register();
const { setUp } = await import('./stack-lifecycle.ts');
export default setUp;
