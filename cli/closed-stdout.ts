// What every command does when the reader of its output goes away (`tipstream results --json | head`).
import type { Writable } from 'node:stream';

/**
 * Ends the process quietly once a write to `stream` fails with EPIPE: the reader has what it
 * wanted, so that is not a failure of the command (exit code 0 unless the command already set
 * another) and no stack trace. Node ignores SIGPIPE, so without this the write error is an
 * unhandled 'error' event. Any other write error is still thrown.
 */
export function exitQuietlyWhenReaderCloses(stream: Writable = process.stdout, exit: () => void = () => process.exit()): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    exit();
  });
}
