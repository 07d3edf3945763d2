// Structured logging: one JSON object per line on stderr (stdout belongs to Singer messages).
// Every line passes through the Redactor, so a token inside an error text or URL never leaves.
import { Redactor } from './secrets.js';
import { asConnectorError } from './errors.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogSink {
  write(line: string): unknown;
}

export interface LoggerOptions {
  component: string;
  sink?: LogSink;
  redactor?: Redactor;
  level?: Level;
  /** Fields added to every line (run_id, account…). */
  bindings?: Record<string, unknown>;
  now?: () => Date;
}

export class Logger {
  readonly redactor: Redactor;
  private readonly sink: LogSink;
  private readonly min: number;
  private readonly opts: LoggerOptions;

  constructor(opts: LoggerOptions) {
    this.opts = opts;
    this.sink = opts.sink ?? process.stderr;
    this.redactor = opts.redactor ?? new Redactor();
    const envLevel = process.env['LOG_LEVEL'] as Level | undefined;
    this.min = ORDER[opts.level ?? (envLevel && envLevel in ORDER ? envLevel : 'info')];
  }

  /** A logger that adds fields to every line, sharing sink and redactor. */
  child(bindings: Record<string, unknown>): Logger {
    return new Logger({ ...this.opts, redactor: this.redactor, sink: this.sink, bindings: { ...this.opts.bindings, ...bindings } });
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.emit('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.emit('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.emit('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.emit('error', msg, fields);
  }

  /** Logs an error with its kind and hint (the user-facing part) plus its context. */
  failure(err: unknown, fields?: Record<string, unknown>): void {
    const e = asConnectorError(err);
    this.emit('error', e.message, { ...fields, error_kind: e.kind, hint: e.hint, ...e.context });
  }

  /** Progress points for long work: which unit, how far, what it is doing. */
  progress(what: string, fields: Record<string, unknown>): void {
    this.emit('info', what, { ...fields, type: 'progress' });
  }

  /**
   * Singer metric points (counters and timers) for records, requests, jobs. The message is the
   * Singer/Meltano SDK text (`METRIC: {"type":"counter","metric":"record_count","value":N,"tags":{…}}`)
   * so tools that grep for it work; the same facts are also fields of the JSON line.
   */
  metric(type: 'counter' | 'timer', metric: string, value: number, tags: Record<string, unknown> = {}): void {
    this.emit('info', `METRIC: ${JSON.stringify({ type, metric, value, tags })}`, { type: 'metric', metric_type: type, metric, value, tags });
  }

  private emit(level: Level, msg: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < this.min) return;
    const now = this.opts.now ? this.opts.now() : new Date();
    const line: Record<string, unknown> = { ts: now.toISOString(), level, component: this.opts.component, msg };
    for (const src of [this.opts.bindings, fields]) {
      if (!src) continue;
      for (const [k, v] of Object.entries(src)) if (v !== undefined) line[k] = v;
    }
    let text: string;
    try {
      text = JSON.stringify(line);
    } catch {
      text = JSON.stringify({ ts: line['ts'], level, component: this.opts.component, msg, note: 'fields were not serialisable' });
    }
    this.sink.write(this.redactor.redact(text) + '\n');
  }
}
