// Diagnostic, off by default: FB_ADS_ELT_MEMORY_TRACE=<ms> makes the target write one JSON line to
// stderr every <ms> with where its resident memory is — the reading thread's V8 heap and buffers,
// the kernel's view by kind of mapping, and the destination's own accounting (DuckDB's
// duckdb_memory() by tag) — so a long run shows which part grows (issue 20's memory soak).
import { readFileSync } from 'node:fs';

export const MEMORY_TRACE_ENV = 'FB_ADS_ELT_MEMORY_TRACE';

const MIB = 1024 * 1024;
/** glibc's per-thread arenas are 64 MiB reservations, each aligned on its size (HEAP_MAX_SIZE on 64-bit). */
const ARENA_BYTES = 64 * MIB;

/** The trace's sampling period from the environment, or undefined when tracing is off (or the value is not a number ≥ 10). */
export function memoryTraceMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const ms = Number(env[MEMORY_TRACE_ENV]);
  return Number.isFinite(ms) && ms >= 10 ? ms : undefined;
}

/**
 * Resident bytes of this process by kind of mapping, from /proc/self/smaps: glibc's main heap (brk),
 * glibc's thread arenas (anonymous 64 MiB-aligned reservations: worker threads, DuckDB's threads and
 * libuv's pool each malloc in one), other anonymous memory (V8's heaps, jemalloc's extents inside
 * DuckDB, thread stacks) and file-backed pages (code, libduckdb). Empty where /proc is absent.
 */
export function residentByKind(smaps: string): Record<string, number> {
  const out = { brk_heap: 0, glibc_arenas: 0, glibc_arena_count: 0, other_anon: 0, file: 0 };
  let start = 0;
  let kind: 'brk_heap' | 'arena' | 'other_anon' | 'file' = 'other_anon';
  for (const line of smaps.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const from = parseInt(head[1]!, 16);
      const name = head[3] ?? '';
      if (name === '[heap]') kind = 'brk_heap';
      else if (name !== '' && !name.startsWith('[')) kind = 'file';
      // An arena's usable part starts its 64 MiB-aligned reservation (the rest is PROT_NONE, 0 resident).
      else if (name === '' && from % ARENA_BYTES === 0 && parseInt(head[2]!, 16) - from <= ARENA_BYTES) kind = 'arena';
      else kind = 'other_anon';
      start = from;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const bytes = Number(rss[1]) * 1024;
    if (kind === 'arena') {
      out.glibc_arenas += bytes;
      if (bytes > 0 && start % ARENA_BYTES === 0) out.glibc_arena_count++;
    } else out[kind] += bytes;
  }
  return out;
}

function readProc(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** VmRSS, VmHWM, RssAnon, RssFile and Threads of this process, in bytes (Threads as a count). */
function statusFields(status: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of ['VmRSS', 'VmHWM', 'RssAnon', 'RssFile']) {
    const m = new RegExp(`^${f}:\\s+(\\d+) kB`, 'm').exec(status);
    if (m) out[f] = Number(m[1]) * 1024;
  }
  const threads = /^Threads:\s+(\d+)/m.exec(status);
  if (threads) out['Threads'] = Number(threads[1]);
  return out;
}

/** One sample: bytes in MiB (one decimal) so a trace reads at a glance. */
export async function memorySample(extra: () => Promise<Record<string, number>>): Promise<Record<string, unknown>> {
  const mib = (o: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, k.endsWith('count') || k === 'Threads' ? v : Math.round((v / MIB) * 10) / 10]));
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  let destination: Record<string, number> = {};
  try {
    destination = await extra();
  } catch {
    // The destination closed between two samples: the trace shows the rest.
  }
  return {
    t_ms: Math.round(performance.now()),
    process: mib({ rss, ...statusFields(readProc('/proc/self/status')) }),
    main_thread: mib({ heapTotal, heapUsed, external, arrayBuffers }),
    mappings: mib(residentByKind(readProc('/proc/self/smaps'))),
    destination: mib(destination),
  };
}

/**
 * Starts the trace when the environment asks for it. The returned function stops it and resolves
 * once a sample under way has finished (the destination may then close): a no-op when off.
 */
export function startMemoryTrace(extra: () => Promise<Record<string, number>>, write: (line: string) => void = (l) => process.stderr.write(l)): () => Promise<void> {
  const ms = memoryTraceMs();
  if (ms === undefined) return async () => undefined;
  let current: Promise<void> | undefined;
  const timer = setInterval(() => {
    current ??= memorySample(extra)
      .then((s) => void write(`${JSON.stringify({ level: 'debug', msg: 'memory trace', ...s })}\n`))
      .finally(() => (current = undefined));
  }, ms);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await current;
  };
}
