// The `tipstream` command: the program cli/ builds, run on this process's arguments.
import { buildProgram } from '../cli/program.js';

await buildProgram().parseAsync(process.argv);
