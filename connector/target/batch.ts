// A stream's open batch: rows appended as NDJSON to a temporary file, written in 256 KiB chunks so
// memory stays flat whatever the batch size. Closed batches are handed to the destination.
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { BatchFile } from './destination.js';

const CHUNK_BYTES = 256 * 1024;

export class BatchWriter {
  readonly path: string;
  readonly openedAt: number;
  readonly batchedAt: string;
  rows = 0;
  bytes = 0;
  private fd: number | undefined;
  private chunk: string[] = [];
  private chunkBytes = 0;

  constructor(
    /** Unique within a run: STATE release tracks batches by id. */
    readonly id: number,
    dir: string,
    name: string,
    now: Date,
  ) {
    this.path = path.join(dir, name);
    this.openedAt = now.getTime();
    this.batchedAt = now.toISOString();
  }

  /** Appends one row given as its JSON text (no newline). */
  append(json: string): void {
    const text = json + '\n';
    // Byte length without encoding: exact for ASCII, a lower bound otherwise (good enough for sizing).
    this.chunk.push(text);
    this.chunkBytes += text.length;
    this.rows++;
    this.bytes += text.length;
    if (this.chunkBytes >= CHUNK_BYTES) this.spill();
  }

  private spill(): void {
    if (this.chunk.length === 0) return;
    this.fd ??= openSync(this.path, 'w', 0o600);
    writeSync(this.fd, this.chunk.join(''));
    this.chunk = [];
    this.chunkBytes = 0;
  }

  /** Writes what is buffered and closes the file. */
  close(): BatchFile {
    this.spill();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    return { path: this.path, rows: this.rows, bytes: this.bytes };
  }

  discard(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.path, { force: true });
  }
}
