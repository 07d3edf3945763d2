// Maps a closed raw batch into the NDJSON part files a destination loads: small batches on the
// reading thread (no worker start-up, no message passing), big ones cut into parts mapped side by
// side by the worker pool. Either way the result is the same rows in the same order.
import { performance } from 'node:perf_hooks';
import { RecordCounts } from '../singer/record-counts.js';
import { splitParts, type RawBatchFile } from './batch.js';
import type { BatchFile } from './destination.js';
import { mapBatchPart, type MapJob, type MapResult } from './map-batch.js';
import { MapPool } from './map-pool.js';

export interface MappedBatch {
  file: BatchFile;
  counts: RecordCounts;
  stale: RecordCounts;
  firstStale: MapResult['firstStale'];
  firstUnlisted: MapResult['firstUnlisted'];
  /** Wall time spent mapping, and how many parts it was cut into. */
  mapMs: number;
  parts: number;
}

export interface BatchMapperOptions {
  /** Worker threads; 0 maps every batch on the reading thread. */
  workers: number;
  /** Batches with fewer RECORD line bytes are mapped on the reading thread. */
  inlineBytes: number;
  /** A batch is cut into parts of at most about this many RECORD line bytes (Destination.loadPartBytes), whatever the workers. */
  maxPartBytes?: number | undefined;
}

export class BatchMapper {
  private pool: MapPool | undefined;

  constructor(private readonly opts: BatchMapperOptions) {}

  /** Maps `raw` (all of it); throws the DataError of its first bad line. */
  async map(job: Omit<MapJob, 'rawPath' | 'part' | 'outPath'>, raw: RawBatchFile): Promise<MappedBatch> {
    const started = performance.now();
    const inline = this.opts.workers === 0 || raw.bytes < this.opts.inlineBytes;
    const forLoad = this.opts.maxPartBytes ? Math.ceil(raw.bytes / this.opts.maxPartBytes) : 1;
    const parts = splitParts(raw, Math.max(inline ? 1 : this.opts.workers, forLoad));
    const jobs: MapJob[] = parts.map((part, i) => ({ ...job, rawPath: raw.path, part, outPath: `${raw.path}.${i}.ndjson` }));
    let results: MapResult[];
    if (inline) results = jobs.map(mapBatchPart);
    else {
      this.pool ??= new MapPool(this.opts.workers);
      results = await this.pool.map(jobs);
    }
    const counts = new RecordCounts();
    const stale = new RecordCounts();
    for (const r of results) {
      for (const e of r.counts) counts.add(e.stream, e.account, e.count);
      for (const e of r.stale) stale.add(e.stream, e.account, e.count);
    }
    return {
      file: { paths: jobs.map((j) => j.outPath), rows: results.reduce((n, r) => n + r.rows, 0), bytes: results.reduce((n, r) => n + r.bytes, 0) },
      counts,
      stale,
      firstStale: results.find((r) => r.firstStale)?.firstStale,
      firstUnlisted: results.find((r) => r.firstUnlisted)?.firstUnlisted,
      mapMs: Math.round(performance.now() - started),
      parts: jobs.length,
    };
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }
}
