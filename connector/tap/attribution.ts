// Attribution as Ads Manager shows it: the windows Meta still returns, and the two insights
// parameters that say whose attribution setting a row's default `value` follows. Both are sent on
// every insights call, recorded in every insights row and in the bookmark (a change re-reads).
import { ConfigError } from '../core/errors.js';
import type { Bookmark } from '../singer/state.js';

/**
 * Windows Meta stopped returning: asking for them yields rows without those keys, so a warehouse
 * would silently lose the conversions it thinks it has (facts §4.1, Meta's "Ads Insights API Metric
 * Availability Updates", 2025-10-16).
 */
export const REMOVED_WINDOWS: Readonly<Record<string, string>> = { '7d_view': '2026-01-12', '28d_view': '2026-01-12' };

/** The insights parameters (bool in Meta's SDK, AdAccount/insights param_types), by their Graph names. */
export interface AttributionSettings {
  /** true: each ad set's own attribution setting, as Ads Manager shows it; Meta then ignores use_account_attribution_setting. */
  use_unified_attribution_setting: boolean;
  /** true: the ad account's attribution setting. */
  use_account_attribution_setting: boolean;
}
export const ATTRIBUTION_SETTING_KEYS = ['use_unified_attribution_setting', 'use_account_attribution_setting'] as const;

/**
 * What a bookmark written before these settings were sent stands for: no parameter sent, which
 * since 2025-06-10 Meta answers with unified attribution (facts: anchors §3.4). Such a bookmark
 * therefore matches the defaults and an upgrade does not re-read the whole history.
 */
const UNSENT: AttributionSettings = { use_unified_attribution_setting: true, use_account_attribution_setting: false };

export function attributionSettings(config: Partial<AttributionSettings>): AttributionSettings {
  return {
    use_unified_attribution_setting: config.use_unified_attribution_setting ?? UNSENT.use_unified_attribution_setting,
    use_account_attribution_setting: config.use_account_attribution_setting ?? UNSENT.use_account_attribution_setting,
  };
}

/** A previous insights bookmark with the settings it was read under filled in (see UNSENT). */
export function withAttributionOf(previous: Bookmark): Bookmark {
  const out: Bookmark = { ...previous };
  for (const k of ATTRIBUTION_SETTING_KEYS) if (out[k] === undefined) out[k] = UNSENT[k];
  return out;
}

/** Config rules a schema cannot say: removed windows, and a setting Meta would silently ignore. */
export function checkAttributionConfig(c: { action_attribution_windows: string[] } & Partial<AttributionSettings>): void {
  const removed = c.action_attribution_windows.filter((w) => w in REMOVED_WINDOWS);
  if (removed.length) {
    const dates = [...new Set(removed.map((w) => REMOVED_WINDOWS[w]!))].join(', ');
    throw new ConfigError(`config.action_attribution_windows asks for ${removed.join(' and ')}, which Meta no longer returns since ${dates}`, {
      hint: `Remove ${removed.join(', ')}; ${['1d_view', '1d_click', '7d_click', '28d_click'].join(', ')} are still returned. Rows read before ${dates} keep their values in the warehouse.`,
    });
  }
  if (c.use_unified_attribution_setting !== false && c.use_account_attribution_setting === true) {
    throw new ConfigError('config.use_account_attribution_setting is true while use_unified_attribution_setting is true (its default): Meta ignores the account setting then', {
      hint: "To read with the ad account's attribution setting set use_unified_attribution_setting to false; otherwise drop use_account_attribution_setting.",
    });
  }
}
