// Reads Singer messages line by line from a stream (the target's stdin). Errors name the line
// number and the problem, because a user debugging a broken pipe needs to find the line.
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { DataError } from '../core/errors.js';
import { asSingerMessage, type SingerMessage } from './messages.js';

export interface NumberedMessage {
  line: number;
  message: SingerMessage;
  /** Size of the raw line in bytes (for batch sizing). */
  bytes: number;
}

/** Parses one line; throws DataError carrying the line number. */
export function parseLine(text: string, line: number): SingerMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DataError(`line ${line}: not valid JSON (${(err as Error).message})`, {
      context: { line },
      hint: 'The upstream tap wrote something that is not a Singer message to stdout; check its logs go to stderr.',
    });
  }
  try {
    return asSingerMessage(value);
  } catch (err) {
    throw new DataError(`line ${line}: ${(err as Error).message}`, { context: { line }, hint: 'Fix the producer of this message.' });
  }
}

/**
 * Yields each message with its line number. Blank lines are skipped. The caller enforces stream
 * order rules (RECORD before SCHEMA) so it can name the stream; see `SchemaTracker`.
 */
export async function* readMessages(input: Readable): AsyncGenerator<NumberedMessage> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    if (text.trim() === '') continue;
    yield { line, message: parseLine(text, line), bytes: Buffer.byteLength(text) + 1 };
  }
}

/** Enforces that a RECORD or ACTIVATE_VERSION only arrives for a stream whose SCHEMA was seen. */
export class SchemaTracker {
  private readonly seen = new Set<string>();

  check({ line, message }: NumberedMessage): void {
    if (message.type === 'SCHEMA') {
      this.seen.add(message.stream);
      return;
    }
    if ((message.type === 'RECORD' || message.type === 'ACTIVATE_VERSION') && !this.seen.has(message.stream)) {
      throw new DataError(`line ${line}: ${message.type} for stream "${message.stream}" arrived before its SCHEMA`, {
        context: { line, stream: message.stream },
        hint: 'A Singer tap must emit SCHEMA for a stream before its records.',
      });
    }
  }
}
