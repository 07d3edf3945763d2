// Writes Singer messages as JSON lines to a stream (stdout by default) and honours backpressure:
// when the stream's buffer is full, write() waits for 'drain', so a slow target never makes the
// tap buffer a whole sync in memory.
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { SingerMessage } from './messages.js';

export class SingerWriter {
  private readonly out: Writable;
  private count = 0;
  private closedError: Error | undefined;

  constructor(out: Writable = process.stdout) {
    this.out = out;
    out.on('error', (err: Error) => {
      this.closedError = err;
    });
  }

  get messagesWritten(): number {
    return this.count;
  }

  async write(message: SingerMessage): Promise<void> {
    if (this.closedError) throw this.closedError;
    this.count++;
    if (!this.out.write(JSON.stringify(message) + '\n')) await this.drained();
  }

  private async drained(): Promise<void> {
    // Rejects if the reader went away (EPIPE) instead of hanging forever.
    await Promise.race([
      once(this.out, 'drain'),
      once(this.out, 'error').then(([err]) => {
        throw err as Error;
      }),
      once(this.out, 'close').then(() => {
        if (this.out.writableNeedDrain) throw new Error('output closed before it drained');
      }),
    ]);
  }

  /** Resolves once everything written has been handed to the OS. */
  async flush(): Promise<void> {
    if (this.out.writableNeedDrain) await this.drained();
  }
}
