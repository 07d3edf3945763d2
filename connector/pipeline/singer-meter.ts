// A pass-through between the tap's stdout and the target's stdin that counts RECORD messages per
// stream and keeps the tap's sync_log rows (a few per run) for the summary. Chunks are forwarded
// untouched, so pipe backpressure still reaches the tap; only sync_log lines are JSON-parsed.
import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
import { SYNC_LOG_STREAM } from '../tap/streams.js';

/** Lines longer than this are only counted, never kept as a partial line (bounded memory). */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

const RECORD_HEAD = /^\{\s*"type"\s*:\s*"RECORD"\s*,\s*"stream"\s*:\s*"((?:[^"\\]|\\.)*)"/;
const TYPE_RE = /"type"\s*:\s*"(RECORD|STATE|SCHEMA|ACTIVATE_VERSION)"/;
const STREAM_RE = /"stream"\s*:\s*"((?:[^"\\]|\\.)*)"/;

export interface MeterSnapshot {
  records: Record<string, number>;
  totalRecords: number;
  stateMessages: number;
  bytes: number;
}

export class SingerMeter extends Transform {
  readonly records = new Map<string, number>();
  readonly syncLog: Record<string, unknown>[] = [];
  private stateMessages = 0;
  private bytes = 0;
  private rest = '';
  /** Keeps a multi-byte character split across chunks whole. */
  private readonly decoder = new StringDecoder('utf8');
  private lastStream: string | undefined;

  constructor(private readonly onRecord?: (stream: string, count: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.push(chunk);
    const text = this.rest + this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      this.line(text.slice(start, nl));
      start = nl + 1;
    }
    this.rest = text.length - start > MAX_PENDING_BYTES ? '' : text.slice(start);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    const tail = this.rest + this.decoder.end();
    if (tail.trim() !== '') this.line(tail);
    this.rest = '';
    cb();
  }

  snapshot(): MeterSnapshot {
    let total = 0;
    for (const n of this.records.values()) total += n;
    return { records: Object.fromEntries(this.records), totalRecords: total, stateMessages: this.stateMessages, bytes: this.bytes };
  }

  get currentStream(): string | undefined {
    return this.lastStream;
  }

  private line(text: string): void {
    // Our tap writes {"type":"RECORD","stream":…} first; other key orders take the slower path.
    let stream = RECORD_HEAD.exec(text)?.[1];
    if (stream === undefined) {
      const type = TYPE_RE.exec(text)?.[1];
      if (type === 'STATE') this.stateMessages++;
      if (type !== 'RECORD') return;
      stream = STREAM_RE.exec(text)?.[1];
      if (stream === undefined) return;
    }
    const n = (this.records.get(stream) ?? 0) + 1;
    this.records.set(stream, n);
    this.lastStream = stream;
    this.onRecord?.(stream, n);
    if (stream === SYNC_LOG_STREAM.name) {
      try {
        const msg = JSON.parse(text) as { record?: Record<string, unknown> };
        if (msg.record) this.syncLog.push(msg.record);
      } catch {
        // The target reports malformed lines with their line number; nothing to add here.
      }
    }
  }
}
