// Relays a child process's stderr (JSON log lines from tap/target/models) to ours, redacted, and
// lets the pipeline observe them: progress points, metrics, failures with hints. Non-JSON lines
// (a crash trace) are wrapped into JSON so our stderr stays one JSON object per line.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Redactor } from '../core/secrets.js';
import type { LogSink } from '../core/log.js';

export interface ChildLogLine {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

export interface RelayOptions {
  /** Name of the child ('tap', 'target', 'models'); added to wrapped lines. */
  component: string;
  redactor: Redactor;
  sink: LogSink;
  /** Lines below this level are observed but not relayed (a TTY shows warnings only). */
  minLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Called for every parsed line, after redaction. */
  observe?: (line: ChildLogLine) => void;
  /** Called before a relayed line is written (to clear a live progress line). */
  beforeWrite?: () => void;
  afterWrite?: () => void;
}

const ORDER: Record<string, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Relays until the stream ends; resolves then. */
export async function relayChildLogs(stream: Readable, opts: RelayOptions): Promise<void> {
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  const min = ORDER[opts.minLevel ?? 'debug'] ?? 10;
  for await (const raw of rl) {
    if (raw.trim() === '') continue;
    const redacted = opts.redactor.redact(raw);
    let parsed: Record<string, unknown> | undefined;
    try {
      const v: unknown = JSON.parse(redacted);
      if (v && typeof v === 'object' && !Array.isArray(v)) parsed = v as Record<string, unknown>;
    } catch {
      parsed = undefined;
    }
    // Node's own process warnings ("(node:123) SomeWarning: …") are warnings, not failures.
    const nodeWarning = /^\(node:\d+\) \w*Warning\b|^\(Use `node --trace-/.test(redacted);
    const line: Record<string, unknown> = parsed ?? { ts: new Date().toISOString(), level: nodeWarning ? 'warn' : 'error', component: opts.component, msg: redacted, note: 'not a JSON log line' };
    const level = typeof line['level'] === 'string' ? line['level'] : 'info';
    const msg = typeof line['msg'] === 'string' ? line['msg'] : '';
    opts.observe?.({ level, msg, fields: line });
    if ((ORDER[level] ?? 20) < min) continue;
    opts.beforeWrite?.();
    opts.sink.write(JSON.stringify(line) + '\n');
    opts.afterWrite?.();
  }
}
