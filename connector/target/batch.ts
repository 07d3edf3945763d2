// A stream's open batch, as the Singer lines arrived: each RECORD line is appended byte for byte
// (never parsed on the reading thread) after its line number and arrival time, so the costly part
// — parsing, validation, row mapping — can run later on several threads (map-batch.ts). Written in
// 256 KiB chunks so memory stays flat whatever the batch size.
import { closeSync, openSync, rmSync, writevSync } from 'node:fs';
import path from 'node:path';

const CHUNK_BYTES = 256 * 1024;
/** A batch may be cut into parts at entry boundaries about this far apart (default; the unit handed to one worker). */
export const PART_BYTES = 4 * 1024 * 1024;

/** A byte range of a raw batch file holding whole entries. */
export interface RawPart {
  start: number;
  end: number;
}

/** A closed raw batch: its file, entry count, RECORD line bytes, and where it may be cut. */
export interface RawBatchFile {
  path: string;
  rows: number;
  /** Bytes of the RECORD lines themselves (what batch_bytes counts), without the entry prefixes. */
  bytes: number;
  /** Byte offsets of entry starts about a part apart, first 0, ending with the file's length. */
  cuts: number[];
}

/**
 * The entry format, one per line: `<line number> <arrival ms since epoch> <the Singer line>\n`.
 * The Singer line holds no \n (lines are split on it), so the file stays line-oriented.
 */
export function parseEntryHead(entry: Buffer): { line: number; receivedMs: number; body: Buffer } | undefined {
  const a = entry.indexOf(32);
  const b = a < 0 ? -1 : entry.indexOf(32, a + 1);
  if (b < 0) return undefined;
  return { line: Number(entry.toString('latin1', 0, a)), receivedMs: Number(entry.toString('latin1', a + 1, b)), body: entry.subarray(b + 1) };
}

export class RawBatch {
  readonly path: string;
  readonly openedAt: number;
  readonly batchedAt: string;
  rows = 0;
  bytes = 0;
  private fd: number | undefined;
  private chunk: Buffer[] = [];
  private chunkBytes = 0;
  private written = 0;
  private readonly cuts = [0];

  constructor(
    /** Unique within a run: STATE release tracks batches by id. */
    readonly id: number,
    dir: string,
    name: string,
    now: Date,
    private readonly partBytes = PART_BYTES,
  ) {
    this.path = path.join(dir, name);
    this.openedAt = now.getTime();
    this.batchedAt = now.toISOString();
  }

  /** Appends one RECORD line (its bytes, without the newline) received as line `line` at `receivedMs`. */
  append(line: number, receivedMs: number, body: Buffer): void {
    const at = this.written + this.chunkBytes;
    if (at - this.cuts[this.cuts.length - 1]! >= this.partBytes) this.cuts.push(at);
    const head = Buffer.from(`${line} ${receivedMs} `, 'latin1');
    // A view into the reader's chunk: stream chunks are fresh buffers, never reused, so no copy.
    this.chunk.push(head, body, NEWLINE);
    this.chunkBytes += head.length + body.length + 1;
    this.rows++;
    this.bytes += body.length;
    if (this.chunkBytes >= CHUNK_BYTES) this.spill();
  }

  private spill(): void {
    if (this.chunk.length === 0) return;
    this.fd ??= openSync(this.path, 'w', 0o600);
    writevSync(this.fd, this.chunk);
    this.written += this.chunkBytes;
    this.chunk = [];
    this.chunkBytes = 0;
  }

  /** Writes what is buffered and closes the file. */
  close(): RawBatchFile {
    this.spill();
    this.fd ??= openSync(this.path, 'w', 0o600);
    closeSync(this.fd);
    this.fd = undefined;
    return { path: this.path, rows: this.rows, bytes: this.bytes, cuts: [...this.cuts, this.written] };
  }

  discard(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.path, { force: true });
  }
}

const NEWLINE = Buffer.from('\n');

/** Splits a closed batch into at most `n` parts of about equal size, at its cut points. */
export function splitParts(file: RawBatchFile, n: number): RawPart[] {
  const total = file.cuts[file.cuts.length - 1]!;
  if (n <= 1 || file.cuts.length <= 2) return [{ start: 0, end: total }];
  const parts: RawPart[] = [];
  let start = 0;
  for (let i = 1; i < n; i++) {
    const want = (total * i) / n;
    // The first cut at or past the even share that leaves the part non-empty.
    const cut = file.cuts.find((c) => c >= want && c > start && c < total);
    if (cut === undefined) break;
    parts.push({ start, end: cut });
    start = cut;
  }
  parts.push({ start, end: total });
  return parts;
}
