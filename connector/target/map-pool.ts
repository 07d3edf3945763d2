// Worker threads that map raw-batch parts (map-worker.ts running map-batch.ts), started on first
// use and kept for the run. Parts of one batch run side by side; results come back in part order,
// and when parts fail the earliest one's error wins, so the line a user is told about is the
// first bad line of the batch, as on one thread.
import { Worker } from 'node:worker_threads';
import { ConnectorError, DataError, type ErrorKind } from '../core/errors.js';
import type { MapJob, MapResult } from './map-batch.js';

/** A worker's answer to one job (plain data). */
export type WorkerAnswer = { ok: true; result: MapResult } | { ok: false; kind: ErrorKind | undefined; message: string; hint: string | undefined; context: Record<string, unknown> | undefined };

// The worker module sits beside this one: .js when compiled; .ts under tsx (tests, development),
// where the worker registers tsx's loader first (a worker does not inherit the parent's hooks).
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(`./map-worker${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);
// tsx is resolved here, from the repository: an eval'd worker resolves bare names from the process's
// working directory, where a run started from /etc/fb-ads-elt finds no node_modules.
const TSX_BOOT = FROM_SOURCE ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); })` : '';

/**
 * A small young generation: a worker's garbage is short-lived (one row at a time), and V8's default
 * (up to 48 MiB a worker) only adds resident memory — 785 → 656 MiB peak for the target at 100k rows
 * with two workers, same CPU (measured 2026-11-30).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 6 };

function toError(a: Extract<WorkerAnswer, { ok: false }>): Error {
  const details = { ...(a.hint ? { hint: a.hint } : {}), ...(a.context ? { context: a.context } : {}) };
  if (a.kind === 'data') return new DataError(a.message, details);
  if (a.kind) return new ConnectorError(a.kind, a.message, details);
  return new Error(`a batch-mapping worker failed: ${a.message}`);
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

export class MapPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {}

  /** Maps each job on a worker; resolves with results in job order, or rejects with the earliest job's error. */
  async map(jobs: readonly MapJob[]): Promise<MapResult[]> {
    const settled = await Promise.allSettled(jobs.map((job) => this.run(job)));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<MapResult>).value);
  }

  private async run(job: MapJob): Promise<MapResult> {
    const slot = await this.acquire();
    try {
      return await new Promise<MapResult>((resolve, reject) => {
        const onMessage = (a: WorkerAnswer): void => {
          cleanup();
          if (a.ok) resolve(a.result);
          else reject(toError(a));
        };
        const onError = (err: Error): void => {
          cleanup();
          slot.worker = this.spawn();
          reject(new Error(`a batch-mapping worker crashed: ${err.message}`));
        };
        const cleanup = (): void => {
          slot.worker.off('message', onMessage);
          slot.worker.off('error', onError);
        };
        slot.worker.on('message', onMessage);
        slot.worker.on('error', onError);
        slot.worker.postMessage(job);
      });
    } finally {
      this.release(slot);
    }
  }

  private spawn(): Worker {
    const w = FROM_SOURCE ? new Worker(TSX_BOOT, { eval: true, resourceLimits: WORKER_LIMITS }) : new Worker(WORKER_URL, { resourceLimits: WORKER_LIMITS });
    // An idle worker must not keep the process alive; close() ends them.
    w.unref();
    return w;
  }

  private async acquire(): Promise<Slot> {
    for (;;) {
      const free = this.slots.find((s) => !s.busy);
      if (free) {
        free.busy = true;
        return free;
      }
      if (this.slots.length < this.size) {
        const slot = { worker: this.spawn(), busy: true };
        this.slots.push(slot);
        return slot;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(slot: Slot): void {
    slot.busy = false;
    this.waiting.shift()?.();
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}
