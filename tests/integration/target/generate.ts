// A deterministic Singer "tap" for crash and throughput tests: message i is a pure function of i,
// STATE carries the position to resume from, and a resumed run re-sends the SCHEMAs then every
// message from that position, exactly like a tap restarted with the last committed state.
// Streams: insights_ad (keys ad_id+date_start, lookback re-reads), ads (updated_time versions →
// history), pixels (full table with ACTIVATE_VERSION).

export interface GenOptions {
  /** Number of data messages (RECORD / ACTIVATE_VERSION). */
  messages: number;
  /** A STATE after every this many messages. */
  stateEvery: number;
}

const decimal = { type: ['null', 'string'], format: 'singer.decimal' };
export const GEN_SCHEMAS = [
  {
    type: 'SCHEMA',
    stream: 'insights_ad',
    key_properties: ['ad_id', 'date_start'],
    bookmark_properties: ['date_start'],
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ad_id: { type: 'string' },
        account_id: { type: 'string' },
        campaign_id: { type: 'string' },
        date_start: { type: 'string', format: 'date' },
        impressions: { type: ['null', 'integer'] },
        clicks: { type: ['null', 'integer'] },
        spend: decimal,
        ctr: decimal,
        actions: {
          type: ['null', 'array'],
          items: { type: 'object', additionalProperties: false, properties: { action_type: { type: 'string' }, value: decimal } },
        },
        _sdc_extracted_at: { type: 'string', format: 'date-time' },
      },
    },
  },
  {
    type: 'SCHEMA',
    stream: 'ads',
    key_properties: ['id'],
    bookmark_properties: ['updated_time'],
    schema: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        account_id: { type: 'string' },
        name: { type: ['null', 'string'] },
        status: { type: ['null', 'string'] },
        bid_amount: decimal,
        updated_time: { type: 'string', format: 'date-time' },
      },
    },
  },
  { type: 'SCHEMA', stream: 'pixels', key_properties: ['id'], schema: { type: 'object', properties: { id: { type: 'string' }, name: { type: ['null', 'string'] } } } },
];

/** Cheap deterministic hash → [0, 1). */
function rnd(i: number, salt: number): number {
  let x = (i * 2654435761 + salt * 40503) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return (x >>> 0) / 4294967296;
}

const DAY0 = Date.UTC(2024, 0, 1);
const money = (i: number, salt: number, scale: number): string => (Math.floor(rnd(i, salt) * scale * 100) / 100).toFixed(2);

/** The i-th data message. */
export function message(i: number, total: number): Record<string, unknown> {
  // Full-table pixels: version 1 at the start, version 2 (a subset) around the middle.
  const mid = Math.floor(total / 2);
  if (i === 0 || i === 6 || i === mid || i === mid + 4) return { type: 'ACTIVATE_VERSION', stream: 'pixels', version: i < mid ? 1 : 2 };
  if (i < 6) return { type: 'RECORD', stream: 'pixels', version: 1, record: { id: `px${i}`, name: `pixel ${i}` } };
  if (i > mid && i < mid + 4) return { type: 'RECORD', stream: 'pixels', version: 2, record: { id: `px${(i - mid) * 2 - 1}`, name: `pixel ${i} v2` } };
  const extracted = new Date(DAY0 + 86400000 * 40 + i * 1000).toISOString();
  if (i % 10 < 8) {
    const ad = 120210000000000000n + BigInt(i % 400);
    // Days advance slowly, and every key is re-read (lookback) with new numbers.
    const day = Math.floor(i / 1600) + (rnd(i, 1) < 0.3 ? -1 : 0);
    const date = new Date(DAY0 + 86400000 * Math.max(0, day)).toISOString().slice(0, 10);
    const impressions = 100 + Math.floor(rnd(i, 2) * 100000);
    const clicks = Math.floor(impressions * rnd(i, 3) * 0.05);
    return {
      type: 'RECORD',
      stream: 'insights_ad',
      time_extracted: extracted,
      record: {
        ad_id: String(ad),
        account_id: '1001',
        campaign_id: String(120200000000000000n + BigInt(i % 40)),
        date_start: date,
        impressions,
        clicks,
        spend: money(i, 4, 500),
        ctr: ((clicks / impressions) * 100).toFixed(6),
        actions: [
          { action_type: 'link_click', value: String(clicks) },
          { action_type: 'purchase', value: money(i, 5, 3) },
        ],
        _sdc_extracted_at: extracted,
      },
    };
  }
  return {
    type: 'RECORD',
    stream: 'ads',
    time_extracted: extracted,
    record: {
      id: String(120230000000000000n + BigInt(i % 150)),
      account_id: '1001',
      name: `ad ${i % 150} rev ${i}`,
      status: rnd(i, 6) < 0.9 ? 'ACTIVE' : 'PAUSED',
      bid_amount: money(i, 7, 20),
      updated_time: new Date(DAY0 + i * 60000).toISOString(),
    },
  };
}

/** Lines of a run resuming at `position` (0 = from scratch). */
export function* generateLines(opts: GenOptions, position = 0): Generator<string> {
  for (const s of GEN_SCHEMAS) yield JSON.stringify(s);
  for (let i = position; i < opts.messages; i++) {
    yield JSON.stringify(message(i, opts.messages));
    if ((i + 1) % opts.stateEvery === 0 || i + 1 === opts.messages) yield JSON.stringify({ type: 'STATE', value: { bookmarks: { generator: { position: i + 1 } } } });
  }
}

export function positionOf(state: Record<string, unknown> | undefined): number {
  const b = (state?.['bookmarks'] as Record<string, { position?: number }> | undefined)?.['generator'];
  return b?.position ?? 0;
}
