// How much CPU the sandbox itself needs to answer insights, measured in-process: the sync figures
// include it (the sandbox serves the tap from the bench process), so RESULTS.md says how much.
import { computeInsights, type Level } from '../connector/sandbox/insights.js';
import type { Sandbox } from '../connector/sandbox/index.js';

export interface LevelCost {
  level: Level;
  rows: number;
  ms: number;
}

/** Times one account's daily insights for `since..until` at every level (fields as the tap asks). */
export function insightsCost(sb: Sandbox, accountId: string, since: string, until: string): LevelCost[] {
  const account = sb.world.accountByBareId.get(accountId);
  if (!account) throw new Error(`no account ${accountId}`);
  const fields = ['account_id', 'campaign_id', 'adset_id', 'ad_id', 'impressions', 'clicks', 'spend', 'reach', 'frequency', 'ctr', 'cpc', 'cpm', 'actions', 'action_values', 'video_p25_watched_actions'];
  const out: LevelCost[] = [];
  // One warm-up so the first level does not pay the JIT for all.
  computeInsights(sb.world, { account, scope: { level: 'account', id: account.id }, level: 'ad', since: until, until, timeIncrement: 1, breakdowns: [], windows: ['7d_click', '1d_view'], fields, statusFilter: {} }, { nowUnix: sb.world.clock.nowUnix });
  for (const level of ['account', 'campaign', 'adset', 'ad'] as const) {
    const t = performance.now();
    const rows = computeInsights(sb.world, { account, scope: { level: 'account', id: account.id }, level, since, until, timeIncrement: 1, breakdowns: [], windows: ['7d_click', '1d_view'], fields, statusFilter: {} }, { nowUnix: sb.world.clock.nowUnix });
    out.push({ level, rows: rows.length, ms: performance.now() - t });
  }
  return out;
}
