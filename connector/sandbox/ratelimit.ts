// Call budgets per app and per ad account with the usage headers Graph sends (facts §7.1) and the
// throttle errors once a budget is spent (facts §7.4). Usage decays linearly on a clock the caller
// controls, so tests can "wait" without sleeping.
import { E, throttleSubcode } from './errors.js';

export type UseCase = 'ads_management' | 'ads_insights';

export interface RateLimitOptions {
  /** points (calls) the app may spend per regain window; default 20000 */
  appBudget?: number;
  /** points per ad account per regain window; default 5000 */
  accountBudget?: number;
  /** seconds for a full budget to regain; default 300 (facts §7.2 decay 300 s) */
  regainSeconds?: number;
  /** millisecond clock; default the process monotonic clock */
  now?: () => number;
}

interface Score {
  points: number;
  at: number;
}

const TIER = 'standard_access'; // header strings seen in the wild (facts §7.1)

export class RateLimiter {
  readonly enabled: boolean;
  private readonly appBudget: number;
  private readonly accountBudget: number;
  private readonly regainMs: number;
  private readonly clock: () => number;
  private offsetMs = 0;
  private app: Score = { points: 0, at: 0 };
  private readonly accounts = new Map<string, Score>();

  constructor(opts: boolean | RateLimitOptions | undefined) {
    const o = typeof opts === 'object' ? opts : {};
    this.enabled = opts !== false;
    this.appBudget = o.appBudget ?? 20000;
    this.accountBudget = o.accountBudget ?? 5000;
    this.regainMs = (o.regainSeconds ?? 300) * 1000;
    this.clock = o.now ?? (() => performance.now());
    this.app.at = this.now();
  }

  now(): number {
    return this.clock() + this.offsetMs;
  }

  /** Moves the limiter's clock forward (HTTP control `advance?seconds=`). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  reset(): void {
    this.app = { points: 0, at: this.now() };
    this.accounts.clear();
  }

  private decay(s: Score, budget: number): Score {
    const t = this.now();
    const regained = ((t - s.at) * budget) / this.regainMs;
    s.points = Math.max(0, s.points - regained);
    s.at = t;
    return s;
  }

  private pct(points: number, budget: number): number {
    return Math.round((points / budget) * 10000) / 100;
  }

  appPct(): number {
    return this.pct(this.decay(this.app, this.appBudget).points, this.appBudget);
  }

  accountPct(accountId: string): number {
    const s = this.accounts.get(accountId);
    return s ? this.pct(this.decay(s, this.accountBudget).points, this.accountBudget) : 0;
  }

  /** Charge one call to the app; throws code 4 once the app budget is spent. */
  chargeApp(headers: Record<string, string>, cost = 1): void {
    if (!this.enabled) return;
    const s = this.decay(this.app, this.appBudget);
    if (s.points + cost > this.appBudget) {
      const h = { ...headers, ...appHeaders(100) };
      throw E.throttle(4, throttleSubcode(4), h);
    }
    s.points += cost;
    Object.assign(headers, appHeaders(this.pct(s.points, this.appBudget)));
  }

  /** Charge one call to an ad account; throws 80000 (insights) / 80004 (management) when spent. */
  chargeAccount(headers: Record<string, string>, accountId: string, useCase: UseCase, cost = 1): void {
    if (!this.enabled) return;
    let s = this.accounts.get(accountId);
    if (!s) {
      s = { points: 0, at: this.now() };
      this.accounts.set(accountId, s);
    }
    this.decay(s, this.accountBudget);
    if (s.points + cost > this.accountBudget) {
      const overMs = ((s.points + cost - this.accountBudget) * this.regainMs) / this.accountBudget;
      const minutes = Math.max(1, Math.ceil(overMs / 60000));
      const h = { ...headers, ...accountHeaders(accountId, useCase, 100, minutes, this.regainMs, this.appPctRaw()) };
      const code = useCase === 'ads_insights' ? 80000 : 80004;
      throw E.throttle(code, throttleSubcode(code), h);
    }
    s.points += cost;
    Object.assign(headers, accountHeaders(accountId, useCase, this.pct(s.points, this.accountBudget), 0, (s.points / this.accountBudget) * this.regainMs, this.appPctRaw()));
  }

  private appPctRaw(): number {
    return this.pct(this.app.points, this.appBudget);
  }
}

export function appHeaders(pct: number): Record<string, string> {
  const p = Math.round(pct);
  return { 'x-app-usage': JSON.stringify({ call_count: p, total_cputime: Math.round(p * 0.6), total_time: Math.round(p * 0.8) }) };
}

/** X-Ad-Account-Usage, X-Business-Use-Case-Usage and (insights) X-FB-Ads-Insights-Throttle, facts §7.1. */
export function accountHeaders(accountId: string, useCase: UseCase, pct: number, regainMinutes: number, resetMs: number, appPct: number): Record<string, string> {
  const p = Math.round(pct);
  const h: Record<string, string> = {
    'x-ad-account-usage': JSON.stringify({ acc_id_util_pct: pct, reset_time_duration: Math.ceil(resetMs / 1000), ads_api_access_tier: TIER }),
    'x-business-use-case-usage': JSON.stringify({
      [accountId]: [{ type: useCase, call_count: p, total_cputime: Math.round(p * 0.6), total_time: Math.round(p * 0.8), estimated_time_to_regain_access: regainMinutes, ads_api_access_tier: TIER }],
    }),
  };
  if (useCase === 'ads_insights') h['x-fb-ads-insights-throttle'] = JSON.stringify({ app_id_util_pct: appPct, acc_id_util_pct: pct, ads_api_access_tier: TIER });
  return h;
}
