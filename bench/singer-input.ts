// Writes the target bench's input: a Singer file with the insights_ad SCHEMA exactly as the tap
// announces it (catalog.json), N insights_ad-shaped RECORD lines, then one STATE line. Values are
// varied but deterministic (a counter, not Math.random), so runs are comparable.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { readJsonFile, REPO_ROOT } from '../connector/core/config.js';
import { join } from 'node:path';

interface CatalogEntry {
  stream: string;
  schema: Record<string, unknown>;
  key_properties?: string[];
  metadata?: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
}

/** The insights_ad schema and keys the tap announces (the golden catalog is its --discover output). */
export function insightsAdSchema(): { schema: Record<string, unknown>; keys: string[] } {
  const catalog = readJsonFile(join(REPO_ROOT, 'catalog.json'), 'catalog') as { streams: CatalogEntry[] };
  const entry = catalog.streams.find((s) => s.stream === 'insights_ad');
  if (!entry) throw new Error('catalog.json has no insights_ad stream');
  const root = entry.metadata?.find((m) => m.breadcrumb.length === 0)?.metadata;
  const keys = (entry.key_properties ?? (root?.['table-key-properties'] as string[] | undefined) ?? ['ad_id', 'date_start']).map(String);
  return { schema: entry.schema, keys };
}

const WINDOWS = ['7d_click', '1d_view'];
const money = (cents: number): string => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
/** Graph ratios: up to 6 decimals, trailing zeros dropped (the tap passes them through as text). */
const ratio = (x: number): string => String(Number(x.toFixed(6)));
const ENGAGEMENT = ['link_click', 'landing_page_view', 'post_engagement', 'page_engagement', 'video_view'];
const CONVERSIONS = ['offsite_conversion.fb_pixel_purchase', 'offsite_conversion.fb_pixel_add_to_cart', 'offsite_conversion.fb_pixel_lead'];
const ACCOUNTS = ['Northwind US', 'Northwind Korea', 'Contoso EMEA', 'Fabrikam Brazil'];

/**
 * Row i of the synthetic stream: ads × days, like a real insights_ad backfill (distinct keys). The
 * shape is what the tap emits against the sandbox with the default attribution windows (measured
 * on `tap-facebook-ads` output, 2026-11-30: median line 1.9 KB, largest 2.3 KB): integer counters as
 * JSON numbers, money and ratios as decimal strings, five engagement actions plus conversions split
 * by window, their values and cost per action, and the five video percentiles on four rows in seven.
 */
export function insightsAdRecord(i: number, ads: number, extractedAt: string): Record<string, unknown> {
  const ad = i % ads;
  const dayIndex = Math.floor(i / ads);
  const day = new Date(Date.UTC(2023, 0, 1) + dayIndex * 86_400_000).toISOString().slice(0, 10);
  const campaign = Math.floor(ad / 42);
  const adset = Math.floor(ad / 7);
  const impressions = 150 + ((i * 7919) % 3850);
  const clicks = 1 + ((i * 104729) % Math.max(2, Math.floor(impressions / 40)));
  const reach = Math.floor(impressions / 1.3);
  const spendCents = 50 + ((i * 15485863) % 40000);
  const spend = spendCents / 100;
  const counts = [Math.max(1, clicks - 1), Math.max(1, clicks - 3), clicks + 2, clicks + 4, 20 + (i % 60)];
  const actions: Record<string, string>[] = ENGAGEMENT.map((type, k) => ({ action_type: type, value: String(counts[k]), '7d_click': String(counts[k]) }));
  const cost: Record<string, string>[] = ENGAGEMENT.map((type, k) => ({ action_type: type, value: ratio(spend / counts[k]!), '7d_click': ratio(spend / counts[k]!) }));
  const values: Record<string, string>[] = [];
  // Conversions on four rows in ten (purchases and carts; leads on one in five), split by window.
  const converting = i % 10 < 4;
  for (const [k, type] of CONVERSIONS.entries()) {
    if (!converting || (k === 2 && i % 5 !== 0)) continue;
    const click = 1 + ((i * (k + 7)) % (k === 1 ? 12 : 4));
    const view = (i * (k + 3)) % 3;
    actions.push({ action_type: type, value: String(click + view), '7d_click': String(click), ...(view ? { '1d_view': String(view) } : {}) });
    cost.push({ action_type: type, value: ratio(spend / (click + view)), '7d_click': ratio(spend / click), ...(view ? { '1d_view': ratio(spend / view) } : {}) });
    if (k < 2) values.push({ action_type: type, value: money((click + view) * 4999), '7d_click': money(click * 4999), ...(view ? { '1d_view': money(view * 4999) } : {}) });
  }
  const video = i % 7 < 4;
  const watched = (share: number) => (video ? [{ action_type: 'video_view', value: String(Math.floor(counts[4]! * share)) }] : null);
  return {
    account_id: String(2_328_254_100_023_318n + BigInt(Math.floor(ad / 336))),
    account_name: ACCOUNTS[Math.floor(ad / 336) % ACCOUNTS.length],
    campaign_id: String(120_200_000_000_000_000n + BigInt(campaign)),
    campaign_name: `Evergreen Promo ${campaign + 1}`,
    adset_id: String(120_210_000_000_000_000n + BigInt(adset)),
    adset_name: `Evergreen Promo ${campaign + 1} / Lookalike 1% ${adset + 1}`,
    ad_id: String(120_220_000_000_000_000n + BigInt(ad)),
    ad_name: `Evergreen Promo ${campaign + 1} / Lookalike 1% ${adset + 1} - Ad ${ad + 1}`,
    date_start: day,
    date_stop: day,
    account_currency: 'USD',
    attribution_windows: WINDOWS,
    use_unified_attribution_setting: true,
    use_account_attribution_setting: false,
    impressions,
    clicks,
    unique_clicks: null,
    reach,
    frequency: ratio(impressions / reach),
    ctr: ratio((clicks / impressions) * 100),
    unique_ctr: null,
    cpc: ratio(spend / clicks),
    cpm: ratio((spend / impressions) * 1000),
    cpp: ratio((spend / reach) * 1000),
    spend: money(spendCents),
    inline_link_clicks: counts[0],
    actions,
    action_values: values.length ? values : null,
    conversions: null,
    conversion_values: null,
    cost_per_action_type: cost,
    video_p25_watched_actions: watched(0.6),
    video_p50_watched_actions: watched(0.4),
    video_p75_watched_actions: watched(0.3),
    video_p95_watched_actions: watched(0.22),
    video_p100_watched_actions: watched(0.2),
    _sdc_extracted_at: extractedAt,
  };
}

/** Writes the file (with backpressure) and returns its size in bytes. */
export async function writeInsightsInput(file: string, rows: number, opts: { ads?: number } = {}): Promise<number> {
  const { schema, keys } = insightsAdSchema();
  const ads = opts.ads ?? 6720;
  const out = createWriteStream(file);
  let bytes = 0;
  const put = async (line: string): Promise<void> => {
    bytes += Buffer.byteLength(line) + 1;
    if (!out.write(line + '\n')) await once(out, 'drain');
  };
  await put(JSON.stringify({ type: 'SCHEMA', stream: 'insights_ad', schema, key_properties: keys, bookmark_properties: ['date_start'] }));
  const extractedAt = '2026-11-20T12:00:00.000Z';
  const timeExtracted = extractedAt;
  for (let i = 0; i < rows; i++) {
    await put(JSON.stringify({ type: 'RECORD', stream: 'insights_ad', record: insightsAdRecord(i, ads, extractedAt), time_extracted: timeExtracted }));
  }
  await put(JSON.stringify({ type: 'STATE', value: { bookmarks: { insights_ad: { bench: { date_start: '2026-11-20' } } } } }));
  out.end();
  await once(out, 'finish');
  return bytes;
}
