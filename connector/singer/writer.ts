// Writes Singer messages as JSON lines to a stream (stdout by default) and honours backpressure:
// when the stream's buffer is full, write() waits for 'drain', so a slow target never makes the
// tap buffer a whole sync in memory.
import type { Writable } from 'node:stream';
import { TransientError } from '../core/errors.js';
import type { SingerMessage } from './messages.js';

/**
 * The reader of our output went away (EPIPE, a destroyed stream): not a bug here but the other side
 * stopping first, e.g. a target that refused to start. Said so, with the retry-later exit code.
 */
export function readerGone(err: Error): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== 'EPIPE' && code !== 'ERR_STREAM_DESTROYED' && !/EPIPE/.test(err.message)) return err;
  return new TransientError(`the program reading this one's output stopped before it finished (${code ?? err.message})`, {
    hint: "Its own error says why (the target's, after a tap; fb-ads-elt sync's or Meltano's, after a target). Nothing after the last state it read was committed: re-run once that is fixed.",
    cause: err,
  });
}

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
      this.closedError = readerGone(err);
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
      const onError = (err: Error): void => done(readerGone(err));
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
