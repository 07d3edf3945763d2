// A stream's open batch, as the Singer lines arrived: each RECORD line is appended byte for byte
// (never parsed on the reading thread) after its line number and arrival time, so the costly part
// — parsing, validation, row mapping — can run later on several threads (map-batch.ts). Lines are
// copied into one 256 KiB buffer written out when full: memory stays flat whatever the batch size,
// and no per-line object outlives the line (the reading thread's garbage stays young and cheap).
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
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
  private slab = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
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
    const at = this.written + this.used;
    if (at - this.cuts[this.cuts.length - 1]! >= this.partBytes) this.cuts.push(at);
    // Line number and ms since epoch: at most 16 + 1 + 15 + 1 digits and spaces.
    const need = 34 + body.length + 1;
    if (this.used + need > this.slab.length) {
      this.spill();
      if (need > this.slab.length) this.slab = Buffer.allocUnsafe(need);
    }
    this.used += this.slab.write(`${line} ${receivedMs} `, this.used, 'latin1');
    this.used += body.copy(this.slab, this.used);
    this.slab[this.used++] = 10;
    this.rows++;
    this.bytes += body.length;
  }

  private spill(): void {
    if (this.used === 0) return;
    this.fd ??= openSync(this.path, 'w', 0o600);
    writeSync(this.fd, this.slab, 0, this.used);
    this.written += this.used;
    this.used = 0;
    // A line bigger than the usual buffer got its own; go back to the usual size.
    if (this.slab.length > CHUNK_BYTES) this.slab = Buffer.allocUnsafe(CHUNK_BYTES);
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
