// The `tipstream` command: the program cli/ builds, run on this process's arguments.
import { exitQuietlyWhenReaderCloses } from '../cli/closed-stdout.js';
import { buildProgram } from '../cli/program.js';

exitQuietlyWhenReaderCloses();
await buildProgram().parseAsync(process.argv);
