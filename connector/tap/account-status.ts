// Ad account_status codes and which of them the tap does not sync. Meta's SDK types account_status as
// a bare unsigned int (no enum in meta-sdk/graph-api.json); the names are Meta's AdAccount reference
// table, as recorded in facts §2.2.

/** account_status → Meta's name. 201/202 are filter values (ANY_ACTIVE/ANY_CLOSED), never an account's own. */
export const ACCOUNT_STATUS: Readonly<Record<number, string>> = {
  1: 'ACTIVE',
  2: 'DISABLED',
  3: 'UNSETTLED',
  7: 'PENDING_RISK_REVIEW',
  8: 'PENDING_SETTLEMENT',
  9: 'IN_GRACE_PERIOD',
  100: 'PENDING_CLOSURE',
  101: 'CLOSED',
  201: 'ANY_ACTIVE',
  202: 'ANY_CLOSED',
};

/**
 * Accounts that can deliver nothing (disabled, closing, closed): the tap lists them in ad_accounts with
 * their status but reads none of their objects or insights, and says so in sync_log (status skipped).
 * Unsettled, risk-review, settlement and grace-period accounts may still deliver: they are synced.
 */
export const UNSYNCED_ACCOUNT_STATUSES: ReadonlySet<number> = new Set([2, 100, 101]);

export function accountStatusName(code: number): string {
  return ACCOUNT_STATUS[code] ?? `status ${code}`;
}
