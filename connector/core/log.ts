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
  /**
   * Renders a line's `hint` for its reader (the tap under Meltano names settings as Meltano does,
   * tap/config.ts tapSettingsFor); hints are written once, as for a config file.
   */
  hints?: (hint: string) => string;
  now?: () => Date;
}

/** LOG_LEVEL spellings besides the four levels: Python's logging names, as Meltano users write them. */
const LEVEL_ALIASES: Record<string, Level> = { warning: 'warn', critical: 'error', fatal: 'error' };
let badLevelWarned = false;

/**
 * The level LOG_LEVEL names (any case; WARNING, CRITICAL and FATAL as in Python's logging), or
 * undefined when it is unset. A value that names no level is said once on stderr and ignored.
 */
export function envLogLevel(): Level | undefined {
  const raw = process.env['LOG_LEVEL'];
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = raw.trim().toLowerCase();
  const level = Object.hasOwn(ORDER, v) ? (v as Level) : LEVEL_ALIASES[v];
  if (level === undefined && !badLevelWarned) {
    badLevelWarned = true;
    process.stderr.write(`${JSON.stringify({ level: 'warn', msg: `LOG_LEVEL ${JSON.stringify(raw.slice(0, 40))} is not a log level and is ignored`, hint: 'Use debug, info, warn or error.' })}\n`);
  }
  return level;
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
    this.min = ORDER[opts.level ?? envLogLevel() ?? 'info'];
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

  /** A hint as this logger's lines word it (LoggerOptions.hints), for one that leaves by another way (a sync_log row). */
  hint(text: string): string {
    return this.opts.hints ? this.opts.hints(text) : text;
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
    if (typeof line['hint'] === 'string') line['hint'] = this.hint(line['hint']);
    let text: string;
    try {
      text = JSON.stringify(line);
    } catch {
      text = JSON.stringify({ ts: line['ts'], level, component: this.opts.component, msg, note: 'fields were not serialisable' });
    }
    this.sink.write(this.redactor.redact(text) + '\n');
  }
}
