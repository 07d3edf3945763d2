// Progress of a sync on stderr: on a terminal one live line (account · stream · rows · elapsed),
// redrawn in place; otherwise a JSON progress point every few seconds, so logs stay greppable.
import type { Logger } from '../core/log.js';

export interface ProgressOptions {
  tty: boolean;
  /** Where the live line goes (stderr). */
  out: { write(s: string): unknown; columns?: number };
  log: Logger;
  /** Period of JSON progress points when not on a TTY. */
  intervalMs?: number;
  now?: () => number;
}

export class ProgressReporter {
  private readonly started: number;
  private phase = 'starting';
  private account: string | undefined;
  private stream: string | undefined;
  private rows = 0;
  private readonly accounts = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private shown = false;
  private readonly now: () => number;

  constructor(private readonly opts: ProgressOptions) {
    this.now = opts.now ?? Date.now;
    this.started = this.now();
  }

  start(): void {
    const period = this.opts.tty ? 250 : (this.opts.intervalMs ?? 10_000);
    this.timer = setInterval(() => this.tick(), period);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  setPhase(phase: string): void {
    this.phase = phase;
    if (!this.opts.tty) this.opts.log.progress('pipeline phase', { phase, elapsed_s: this.elapsedSeconds() });
  }

  /** A record went through the pipe (called from the meter). */
  onRecord(stream: string): void {
    this.rows++;
    this.stream = stream;
  }

  /** A progress or log line from the tap that names an account and/or stream. */
  onChildFields(fields: Record<string, unknown>): void {
    const account = fields['account_id'] ?? fields['account'];
    if (typeof account === 'string' && account !== '') {
      this.account = account;
      this.accounts.add(account);
    }
    const stream = fields['stream'];
    if (typeof stream === 'string' && stream !== '') this.stream = stream;
  }

  /** Clears the live line before something else is written to stderr. */
  clear(): void {
    if (this.opts.tty && this.shown) {
      this.opts.out.write('\r\x1b[2K');
      this.shown = false;
    }
  }

  redraw(): void {
    if (!this.opts.tty || !this.timer) return;
    const width = Math.max(20, (this.opts.out.columns ?? 100) - 1);
    const text = this.describe();
    this.opts.out.write(`\r\x1b[2K${text.length > width ? text.slice(0, width - 1) + '…' : text}`);
    this.shown = true;
  }

  /** `[mm:ss] phase: act_… · stream · N rows · K accounts` — most useful first, so truncation loses the least. */
  describe(): string {
    const parts: string[] = [];
    if (this.account) parts.push(`act_${this.account.replace(/^act_/, '')}`);
    if (this.stream) parts.push(this.stream);
    parts.push(`${this.rows.toLocaleString('en-US')} rows`);
    if (this.accounts.size) parts.push(`${this.accounts.size} account${this.accounts.size === 1 ? '' : 's'}`);
    return `[${formatElapsed(this.elapsedSeconds())}] ${this.phase}: ${parts.join(' · ')}`;
  }

  private tick(): void {
    if (this.opts.tty) this.redraw();
    else
      this.opts.log.progress('sync progress', {
        phase: this.phase,
        elapsed_s: this.elapsedSeconds(),
        rows: this.rows,
        accounts_seen: this.accounts.size,
        ...(this.account ? { account_id: this.account } : {}),
        ...(this.stream ? { stream: this.stream } : {}),
      });
  }

  private elapsedSeconds(): number {
    return Math.round((this.now() - this.started) / 1000);
  }
}

export function formatElapsed(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}
