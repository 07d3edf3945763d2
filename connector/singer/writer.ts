// Writes Singer messages as JSON lines to a stream (stdout by default) and honours backpressure:
// when the stream's buffer is full, write() waits for 'drain', so a slow target never makes the
// tap buffer a whole sync in memory.
import type { Writable } from 'node:stream';
import type { SingerMessage } from './messages.js';

export class SingerWriter {
  private readonly out: Writable;
  private count = 0;
  private closedError: Error | undefined;
  /** One shared wait: many concurrent producers (accounts, reports) block on the same drain. */
  private pendingDrain: Promise<void> | undefined;

  constructor(
    out: Writable = process.stdout,
    /** How a value becomes its line (the target passes an exact serializer: a state may hold LosslessNumbers). */
    private readonly serialize: (value: object) => string = JSON.stringify,
  ) {
    this.out = out;
    out.on('error', (err: Error) => {
      this.closedError = err;
    });
  }

  get messagesWritten(): number {
    return this.count;
  }

  async write(message: SingerMessage): Promise<void> {
    return this.writeJson(message);
  }

  /** Any JSON object as one line, e.g. a target's state value (a target writes no Singer messages). */
  async writeJson(value: object): Promise<void> {
    if (this.closedError) throw this.closedError;
    this.count++;
    if (!this.out.write(this.serialize(value) + '\n')) await this.drained();
  }

  private drained(): Promise<void> {
    this.pendingDrain ??= this.waitForDrain().finally(() => {
      this.pendingDrain = undefined;
    });
    return this.pendingDrain;
  }

  private waitForDrain(): Promise<void> {
    // Rejects if the reader went away (EPIPE, close) instead of hanging forever; listeners are
    // removed on every outcome so millions of waits do not pile up handlers.
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        this.out.off('drain', onDrain);
        this.out.off('error', onError);
        this.out.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (): void => done();
      const onError = (err: Error): void => done(err);
      const onClose = (): void => done(this.out.writableNeedDrain ? new Error('output closed before it drained') : undefined);
      this.out.on('drain', onDrain);
      this.out.on('error', onError);
      this.out.on('close', onClose);
    });
  }

  /** Resolves once everything written has been handed to the OS. */
  async flush(): Promise<void> {
    if (this.out.writableNeedDrain) await this.drained();
  }
}
