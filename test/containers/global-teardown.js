// jest loads global teardown outside its own module system, so the TypeScript runs through tsx.
import { register } from 'tsx/esm/api';

register();
const { tearDown } = await import('./stack-lifecycle.ts');
export default tearDown;
