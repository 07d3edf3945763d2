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

/** Row i of the synthetic stream: ads × days, like a real insights_ad backfill (distinct keys). */
export function insightsAdRecord(i: number, ads: number, extractedAt: string): Record<string, unknown> {
  const ad = i % ads;
  const dayIndex = Math.floor(i / ads);
  const day = new Date(Date.UTC(2023, 0, 1) + dayIndex * 86_400_000).toISOString().slice(0, 10);
  const campaign = Math.floor(ad / 42);
  const adset = Math.floor(ad / 7);
  const impressions = 150 + ((i * 7919) % 3850);
  const clicks = 1 + ((i * 104729) % Math.max(2, Math.floor(impressions / 40)));
  const spendCents = 50 + ((i * 15485863) % 40000);
  const purchases = (i * 31) % 5;
  const action = (type: string, v: number) => ({ action_type: type, value: String(v), '7d_click': String(v), '1d_view': String(Math.floor(v / 3)) });
  return {
    account_id: String(2_328_254_100_023_318n + BigInt(Math.floor(ad / 336))),
    account_name: `Brand market ${Math.floor(ad / 336) + 1}`,
    campaign_id: String(120_200_000_000_000_000n + BigInt(campaign)),
    campaign_name: `Evergreen Promo ${campaign + 1}`,
    adset_id: String(120_210_000_000_000_000n + BigInt(adset)),
    adset_name: `Evergreen Promo ${campaign + 1} / Broad ${adset + 1}`,
    ad_id: String(120_220_000_000_000_000n + BigInt(ad)),
    ad_name: `Evergreen Promo ${campaign + 1} / Broad ${adset + 1} - Ad ${ad + 1}`,
    date_start: day,
    date_stop: day,
    account_currency: 'USD',
    attribution_windows: WINDOWS,
    use_unified_attribution_setting: true,
    use_account_attribution_setting: false,
    impressions,
    clicks,
    unique_clicks: Math.max(1, clicks - 1),
    reach: Math.floor(impressions / 1.3),
    frequency: '1.300000',
    ctr: ((clicks / impressions) * 100).toFixed(6),
    unique_ctr: ((Math.max(1, clicks - 1) / impressions) * 100).toFixed(6),
    cpc: money(Math.round(spendCents / clicks)),
    cpm: money(Math.round((spendCents / impressions) * 1000)),
    cpp: money(Math.round((spendCents / Math.max(1, impressions / 1.3)) * 1000)),
    spend: money(spendCents),
    inline_link_clicks: Math.max(0, clicks - 2),
    actions: [action('link_click', clicks), action('offsite_conversion.fb_pixel_purchase', purchases), action('offsite_conversion.fb_pixel_add_to_cart', purchases * 3)],
    action_values: purchases ? [action('offsite_conversion.fb_pixel_purchase', purchases * 4999)] : null,
    conversions: null,
    conversion_values: null,
    cost_per_action_type: [{ action_type: 'link_click', value: money(Math.round(spendCents / clicks)) }],
    video_p25_watched_actions: i % 3 === 0 ? [action('video_view', Math.floor(impressions / 4))] : null,
    video_p50_watched_actions: i % 3 === 0 ? [action('video_view', Math.floor(impressions / 6))] : null,
    video_p75_watched_actions: i % 3 === 0 ? [action('video_view', Math.floor(impressions / 9))] : null,
    video_p95_watched_actions: i % 3 === 0 ? [action('video_view', Math.floor(impressions / 12))] : null,
    video_p100_watched_actions: i % 3 === 0 ? [action('video_view', Math.floor(impressions / 14))] : null,
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
