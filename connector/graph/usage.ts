// Rate-limit telemetry → pacing. Parses the JSON-in-header usage values Meta sends (facts §7.1) and
// keeps ONE pacer shared by every concurrent caller, so the tap slows down as a budget fills up
// (above usage_pause_threshold) instead of running into throttle errors and their long blocks.

/** Header names (lower-case as Node delivers them), facts §7.1. */
export const USAGE_HEADERS = {
  app: 'x-app-usage',
  adAccount: 'x-ad-account-usage',
  buc: 'x-business-use-case-usage',
  insights: 'x-fb-ads-insights-throttle',
} as const;

/** What one response told us. Percentages are 0–100+ (Meta reports >100 when over budget). */
export interface UsageReading {
  /** App-wide utilisation (X-App-Usage, insights app_id_util_pct). */
  appPct?: number;
  /** Utilisation per business object id (bare ad account id for Marketing API calls). */
  accountPct: Map<string, number>;
  /** Seconds until the budget is regained, per business object id (BUC estimated_time_to_regain_access is minutes). */
  regainSeconds: Map<string, number>;
  /** X-Ad-Account-Usage reset_time_duration (seconds), applies to the call's account. */
  resetSeconds?: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // a garbled header must never fail a call; pacing just has less to go on
  }
}

const maxOf = (...vals: Array<number | undefined>): number | undefined => {
  const xs = vals.filter((v): v is number => v !== undefined);
  return xs.length ? Math.max(...xs) : undefined;
};

/** Reads every usage header of a response. `accountId` is the account the call was about. */
export function parseUsageHeaders(headers: Record<string, unknown>, accountId?: string): UsageReading {
  const get = (name: string): string | undefined => {
    const v = headers[name] ?? headers[name.toLowerCase()];
    return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
  };
  const reading: UsageReading = { accountPct: new Map(), regainSeconds: new Map() };
  const bump = (m: Map<string, number>, k: string, v: number | undefined): void => {
    if (v === undefined) return;
    m.set(k, Math.max(m.get(k) ?? 0, v));
  };

  const app = parseJson(get(USAGE_HEADERS.app)) as Record<string, unknown> | undefined;
  if (app && typeof app === 'object') {
    const pct = maxOf(num(app['call_count']), num(app['total_time']), num(app['total_cputime']));
    if (pct !== undefined) reading.appPct = pct;
  }

  const acc = parseJson(get(USAGE_HEADERS.adAccount)) as Record<string, unknown> | undefined;
  if (acc && typeof acc === 'object' && accountId) {
    bump(reading.accountPct, accountId, num(acc['acc_id_util_pct']));
    const reset = num(acc['reset_time_duration']);
    if (reset !== undefined) reading.resetSeconds = reset;
  }

  const ins = parseJson(get(USAGE_HEADERS.insights)) as Record<string, unknown> | undefined;
  if (ins && typeof ins === 'object') {
    const appPct = num(ins['app_id_util_pct']);
    if (appPct !== undefined) reading.appPct = Math.max(reading.appPct ?? 0, appPct);
    if (accountId) bump(reading.accountPct, accountId, num(ins['acc_id_util_pct']));
  }

  const buc = parseJson(get(USAGE_HEADERS.buc));
  if (buc && typeof buc === 'object' && !Array.isArray(buc)) {
    for (const [key, entries] of Object.entries(buc as Record<string, unknown>)) {
      // Keyed by the business object id; for an ad account that is its bare id, but "act_<id>" is
      // seen in public clients' fixtures too; both must reach the same budget.
      const id = key.startsWith('act_') ? key.slice(4) : key;
      const list = Array.isArray(entries) ? entries : [entries];
      for (const e of list) {
        if (!e || typeof e !== 'object') continue;
        const r = e as Record<string, unknown>;
        bump(reading.accountPct, id, maxOf(num(r['call_count']), num(r['total_cputime']), num(r['total_time'])));
        const minutes = num(r['estimated_time_to_regain_access']);
        if (minutes !== undefined && minutes > 0) bump(reading.regainSeconds, id, minutes * 60);
      }
    }
  }
  return reading;
}

/** Seconds Meta says to wait for this account (or any object in the reading when no account is known). */
export function regainSecondsFor(reading: UsageReading, accountId?: string): number | undefined {
  const own = accountId ? reading.regainSeconds.get(accountId) : undefined;
  if (own !== undefined) return own;
  // BUC may key the budget by a business id rather than the account: then the largest wait applies.
  const all = [...reading.regainSeconds.values()];
  return all.length ? Math.max(...all) : undefined;
}

export interface PacerOptions {
  /** Percent above which calls are spaced out (config.usage_pause_threshold). */
  threshold: number;
  clock: () => number;
  /**
   * Spacing between calls on one budget when it reads 100%; below that it grows quadratically from 0
   * at the threshold, so the first slow-down is gentle and the last is firm.
   */
  maxIntervalMs: number;
}

/**
 * Meta's budgets decay over about 300 s (ad-account scoring, facts §7.2), so a reading we have not
 * refreshed fades out over that window instead of pacing forever when headers stop arriving.
 */
export const USAGE_DECAY_MS = 300_000;

const APP_KEY = 'app';
const acctKey = (id: string): string => `acct:${id}`;
const tokenKey = (label: string): string => `token:${label}`;

/**
 * One per GraphClient, shared by all workers. Each budget (the app, each ad account, each token) has a
 * utilisation, a "blocked until" time and the next free call slot; a call waits for the latest slot
 * among the budgets it spends, and reserves the following one. Reservation is what makes four
 * concurrent workers slow down together instead of all firing at once when a pause ends.
 */
export class UsagePacer {
  private readonly pct = new Map<string, { value: number; at: number }>();
  private readonly blockedUntil = new Map<string, number>();
  private readonly nextSlot = new Map<string, number>();

  constructor(private readonly opts: PacerOptions) {}

  /**
   * Records a response's reading. `blocks` = apply the waits it announces to the accounts it names;
   * the client passes false for error answers, whose wait it applies to whatever the error's scope is
   * (a user-level throttle parks the token, not the account every other token also reads).
   */
  observe(reading: UsageReading, accountId?: string, blocks = true): void {
    const now = this.opts.clock();
    if (reading.appPct !== undefined) this.pct.set(APP_KEY, { value: reading.appPct, at: now });
    for (const [id, p] of reading.accountPct) this.pct.set(acctKey(id), { value: p, at: now });
    if (!blocks) return;
    // A budget read above the threshold spaces the very next call too, not only the ones after it.
    for (const k of [...(reading.appPct !== undefined ? [APP_KEY] : []), ...[...reading.accountPct.keys()].map(acctKey)]) {
      const interval = this.intervalFor(this.current(k));
      if (interval > 0) this.nextSlot.set(k, Math.max(this.nextSlot.get(k) ?? 0, now + interval));
    }
    for (const [id, s] of reading.regainSeconds) this.block(acctKey(id), now + s * 1000);
    // A full account budget without a regain estimate: wait out the reset window Meta reported.
    if (accountId && reading.resetSeconds !== undefined && (reading.accountPct.get(accountId) ?? 0) >= 100) {
      this.block(acctKey(accountId), now + reading.resetSeconds * 1000);
    }
  }

  blockAccount(accountId: string, untilMs: number): void {
    this.block(acctKey(accountId), untilMs);
  }
  blockApp(untilMs: number): void {
    this.block(APP_KEY, untilMs);
  }
  blockToken(label: string, untilMs: number): void {
    this.block(tokenKey(label), untilMs);
  }
  /** When this token may be used again (0 = now). */
  tokenFreeAt(label: string): number {
    return this.blockedUntil.get(tokenKey(label)) ?? 0;
  }

  /** Current utilisation of the budgets a call would spend (for logs and tests). */
  usage(accountId?: string): { app: number | undefined; account: number | undefined } {
    return { app: this.current(APP_KEY), account: accountId ? this.current(acctKey(accountId)) : undefined };
  }

  /** The last reading of a budget, faded linearly over USAGE_DECAY_MS since it was observed. */
  private current(key: string): number | undefined {
    const r = this.pct.get(key);
    if (!r) return undefined;
    const age = Math.max(0, this.opts.clock() - r.at);
    return r.value * Math.max(0, 1 - age / USAGE_DECAY_MS);
  }

  /** Spacing for a budget at `pct` percent. */
  intervalFor(pct: number | undefined): number {
    const t = this.opts.threshold;
    if (pct === undefined || pct <= t) return 0;
    const frac = Math.min(1, (pct - t) / Math.max(1, 100 - t));
    return Math.round(this.opts.maxIntervalMs * frac * frac);
  }

  /**
   * Reserves the next slot for a call on `accountId` with token `label` and returns how long (ms) to
   * wait before sending it, plus which budget imposed the wait.
   */
  reserve(accountId: string | undefined, label: string | undefined): { waitMs: number; reason: string | undefined } {
    const now = this.opts.clock();
    const keys = [APP_KEY, ...(accountId ? [acctKey(accountId)] : []), ...(label ? [tokenKey(label)] : [])];
    let start = now;
    let reason: string | undefined;
    for (const k of keys) {
      const t = Math.max(this.blockedUntil.get(k) ?? 0, this.intervalFor(this.current(k)) > 0 ? (this.nextSlot.get(k) ?? 0) : 0);
      if (t > start) {
        start = t;
        reason = k;
      }
    }
    for (const k of keys) {
      const interval = this.intervalFor(this.current(k));
      if (interval > 0) this.nextSlot.set(k, start + interval);
    }
    return { waitMs: start - now, reason };
  }

  private block(key: string, untilMs: number): void {
    this.blockedUntil.set(key, Math.max(this.blockedUntil.get(key) ?? 0, untilMs));
  }
}
