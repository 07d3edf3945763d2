// A stop signal ends the target's input instead of the process. On a Singer pipe run by hand or by
// Meltano, Ctrl-C reaches the tap and the target alike (and a scheduler may SIGTERM every process):
// dying then threw away every open batch. The input is ended at the last complete line received
// instead, so the target commits what it has and echoes the state that covers it, as at the end of
// input; the incomplete line after it is never read. A second signal ends the process at once.
import { PassThrough, type Readable } from 'node:stream';
import type { Logger } from '../core/log.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface StoppableInput {
  /** What the loader reads: the source until a stop signal, then its end. */
  input: Readable;
  /** The signal that ended the input early, if one did. */
  stoppedBy(): NodeJS.Signals | undefined;
  /** Whether the bytes after the last line break are to be read (false once stopped). */
  readTail(): boolean;
  /** Removes the signal handlers (the run is over). */
  dispose(): void;
}

export function stoppableInput(source: Readable, log: Pick<Logger, 'warn'>, proc: Pick<NodeJS.Process, 'on' | 'off' | 'kill' | 'pid'> = process): StoppableInput {
  const gate = new PassThrough();
  source.pipe(gate);
  let stopped: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopped) {
      log.warn(`${signal} again: stopping at once; nothing after the last echoed state is committed`, {});
      dispose();
      proc.kill(proc.pid, signal);
      return;
    }
    stopped = signal;
    log.warn(`${signal}: reading no more input; committing what was received up to its last complete line, then echoing the state that covers it (${signal} again stops at once)`, {});
    source.unpipe(gate);
    source.destroy();
    gate.end();
  };
  const dispose = (): void => {
    for (const s of STOP_SIGNALS) proc.off(s, onSignal);
  };
  for (const s of STOP_SIGNALS) proc.on(s, onSignal);
  return { input: gate, stoppedBy: () => stopped, readTail: () => stopped === undefined, dispose };
}
