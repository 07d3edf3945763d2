// The stakeholder report: one static, self-contained HTML page (inline CSS and SVG, no scripts,
// no network) with spend by channel over time, CAC by month and channel, and the top campaigns.
// Every figure shown in a table also carries its exact value in data-value, so tests (and anyone
// scraping the page) read the number rather than its formatting.
import { addDays, daysBetween } from '../core/dates.js';
import { esc, groupedBarChart, hBarChart, lineChart, type Series } from './svg.js';

/** The channel whose sync the report is about: its read days bound the report, and its campaigns are the ones ranked. */
export const FOCUS_PLATFORM = 'facebook_ads';

export interface SpendPoint {
  date: string;
  channel: string;
  spend: string;
}
export interface CacRow {
  month: string;
  /** null for the blended (all channels) rows. */
  channel: string | null;
  /** What the month's spend rows hold (incomplete when not tracked); null without rows when not tracked (always for non-paid channels). */
  spend: string | null;
  new_customers: number;
  /** null where CAC is undefined (spend not tracked, no new customers, organic/unattributed): shown as "—", never 0. */
  cac: string | null;
  /** false when a platform behind the row's spend does not cover every day of the month (the marts' is_spend_tracked). */
  tracked?: boolean;
  /** Why the spend is not tracked, from the marts' coverage columns, e.g. "facebook_ads covers 29 of 30 days". */
  coverageGap?: string | null;
  /** Spend rows of the month without an FX rate (left out of spend): the month is marked. */
  spendRowsWithoutFx?: number;
  /** false for channels that never have spend (organic, unattributed): their CAC is undefined. */
  paid?: boolean;
  /** The run day's month (the marts' is_month_to_date): spend, new customers and CAC so far, not the month's. */
  monthToDate?: boolean;
  /** The last day the row's spend and new customers count (the marts' as_of_date); null when its spend is not tracked. */
  asOf?: string | null;
}
export interface CampaignRow {
  account_id: string;
  campaign_id: string;
  campaign_name: string;
  currency: string | null;
  /** Spend in the account currency. */
  spend: string;
  /** Spend in the reporting currency (what the ranking uses). */
  spend_reporting: string | null;
  impressions: number;
  clicks: number;
  conversions: string | null;
}
/** An ad account whose latest sync failed: its rows stop where an earlier run left them. */
export interface StaleAccount {
  account_id: string;
  /** When that sync started ("YYYY-MM-DD HH:MM UTC"). */
  failedAt: string;
  /** Its error class (sync_log), e.g. permission. */
  errorClass: string | null;
  /** The last day of its insights read after it ended, when the coverage says. */
  readTo: string | null;
}
export interface ReportData {
  title: string;
  generatedAt: string;
  /** When the Meta data shown was last read (the latest sync's read, "YYYY-MM-DD HH:MM UTC"); null when the warehouse cannot tell. */
  readAt?: string | null;
  /** Accounts whose latest sync failed (the marts build over partial runs): named in the notes and the terminal lines. */
  staleAccounts?: StaleAccount[];
  /** Set when the raw tables hold campaign insights after the last day the models were built with (a sync without --models since). */
  modelsBehind?: { rawTo: string; builtTo: string };
  /** Reporting currency of spend/CAC in the cross-channel marts, when the marts say. */
  currency: string | null;
  period: { from: string; to: string };
  /** Months (YYYY-MM) some platform read only part of (the marts' platforms_partial): marked * in the CAC table and chart. */
  partialMonths?: string[];
  /** The zone whose calendar months the CAC marts use (dbt var reporting_time_zone), when known. */
  timeZone?: string | null;
  /** false when the warehouse has no CAC marts (no orders relation configured). */
  cacAvailable?: boolean;
  /** Names for people of channel ids: each platform's platform_label from fct_ad_spend_daily (see channelLabel). */
  channelLabels?: Record<string, string>;
  spendDaily: SpendPoint[];
  /** Spend rows left out of the spend totals for want of an exchange rate to `currency` (the notes say so too). */
  spendRowsWithoutFx?: number;
  cac: CacRow[];
  topCampaigns: CampaignRow[];
  /** Campaigns of the focus platform with spend in the period (KPI). */
  campaignsWithSpend: number;
  /** Source line under the title (which marts were read). */
  sources: string[];
  notes: string[];
}

/** Minor-unit digits of a currency (JPY and KRW have none), from the runtime's ISO 4217 data. */
export function currencyDigits(code: string | null): number {
  if (!code) return 2;
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

export const money = (v: string | null, currency: string | null): string => {
  if (v === null) return '—';
  const digits = currencyDigits(currency);
  const text = Number(v).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return currency ? `${text} ${currency}` : text;
};
const int = (n: number): string => n.toLocaleString('en-US');
const cell = (value: string | number | null, shown: string, cls = 'num'): string => `<td class="${cls}"${value === null ? '' : ` data-value="${esc(String(value))}"`}>${esc(shown)}</td>`;

/** Sums decimal strings exactly (scaled to 10^-9, NUMERIC's scale), keeping at least two decimals. */
export function sumDecimals(values: string[]): string {
  const SCALE = 9;
  let total = 0n;
  for (const v of values) {
    const m = /^(-)?(\d*)(?:\.(\d*))?$/.exec(v.trim());
    if (!m) throw new Error(`not a decimal: ${v}`);
    const digits = BigInt((m[2] || '0') + ((m[3] ?? '') + '0'.repeat(SCALE)).slice(0, SCALE));
    total += m[1] ? -digits : digits;
  }
  const neg = total < 0n;
  const s = (neg ? -total : total).toString().padStart(SCALE + 1, '0');
  const frac = s.slice(-SCALE).replace(/0+$/, '').padEnd(2, '0');
  return `${neg ? '-' : ''}${s.slice(0, -SCALE)}.${frac}`;
}

/** A row's CAC, or null where it is undefined: spend not tracked (in full) or no new customers (never shown as 0). */
export function definedCac(r: Pick<CacRow, 'cac' | 'spend' | 'new_customers' | 'paid' | 'tracked'>): string | null {
  return r.cac === null || r.spend === null || r.new_customers === 0 || r.paid === false || r.tracked === false ? null : r.cac;
}

/** "month to date" with the day it runs to, for a row of the run day's month; null for any other month. */
export function monthToDateLabel(r: Pick<CacRow, 'monthToDate' | 'asOf'>): string | null {
  if (r.monthToDate !== true) return null;
  return r.asOf ? `month to date as of ${r.asOf}` : 'month to date';
}

/**
 * What a month-to-date row counts, for its flag's tooltip. A channel without spend (organic,
 * unattributed) reads no platform: its customers run up to the run, the run day included
 * (fct_cac_by_channel_monthly counts it to the month's end), not to a day "read in full".
 */
export function monthToDateTitle(r: Pick<CacRow, 'asOf' | 'paid'>): string {
  if (r.asOf) return `spend and new customers from the 1st to ${r.asOf}, the last day every platform behind this row was read in full`;
  if (r.paid === false) return 'no ad spend on this channel: new customers from the 1st up to the run, the run day included, so with the paid channels they can exceed the blended row, which stops at its last day read in full';
  return 'no day of this month has been read in full yet';
}

/** The report's statement of the one time-zone rule (dbt/DECISIONLOG.md, "Time zones"). */
export function timeZoneRule(zone: string | null | undefined): string {
  const z = zone ?? 'the dbt var reporting_time_zone';
  return `Months are calendar months in ${z}: a customer's first order counts in the month it falls in there, and ad spend counts by the day each ad account reports in (Meta reports in the account's own time zone, which should be ${z} too).`;
}

/**
 * A channel's name for people. Ad platforms name themselves beside their id in their dbt model
 * (platform_label: "Facebook Ads"); the other channels are the shop's own values (organic, email,
 * unattributed) and the report's blended row, shown with a capital and spaces.
 */
export function channelLabel(id: string, labels: Record<string, string> = {}): string {
  const own = labels[id];
  if (own) return own;
  const words = id.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function renderReport(d: ReportData): string {
  const label = (c: string): string => channelLabel(c, d.channelLabels);
  const channels = [...new Set(d.spendDaily.map((p) => p.channel))].sort();
  const series: Series[] = channels.map((c) => ({ name: label(c), points: d.spendDaily.filter((p) => p.channel === c).map((p) => ({ x: p.date, y: Number(p.spend) })) }));
  // Every day of the period on the chart's time axis: a day without spend rows on any channel (a
  // Facebook-only warehouse whose campaigns paused) is a 0 there, not a day the line skips over.
  const days = d.period.from && d.period.to ? Array.from({ length: Math.max(0, daysBetween(d.period.from, d.period.to)) }, (_, i) => addDays(d.period.from, i)) : [];
  const totalSpend = sumDecimals(d.spendDaily.map((p) => p.spend));
  const blended = d.cac.filter((r) => r.channel === null).sort((a, b) => a.month.localeCompare(b.month));
  const byChannel = d.cac.filter((r) => r.channel !== null).sort((a, b) => a.month.localeCompare(b.month) || a.channel!.localeCompare(b.channel!));
  const months = [...new Set([...blended, ...byChannel].map((r) => r.month))].sort();
  const partial = new Set(d.partialMonths ?? []);
  const monthLabel = (m: string): string => `${m.slice(0, 7)}${partial.has(m.slice(0, 7)) ? '*' : ''}`;
  // The run day's month shows CAC so far: labelled as such in the chart, flagged in the table, said in the KPI.
  const toDate = new Set([...blended, ...byChannel].filter((r) => r.monthToDate === true).map((r) => r.month.slice(0, 7)));
  // Bars for channels with a defined CAC somewhere: organic/unattributed have none (no spend).
  const cacChannels = [...new Set(byChannel.filter((r) => definedCac(r) !== null).map((r) => r.channel!))].sort();
  const barValue = (r: CacRow | undefined): number | null => ((v) => (v === null ? null : Number(v)))(r ? definedCac(r) : null);
  const groups = months.map((m) => ({
    label: `${monthLabel(m)}${toDate.has(m.slice(0, 7)) ? ' to date' : ''}`,
    bars: [...cacChannels.map((c) => ({ name: label(c), value: barValue(byChannel.find((x) => x.month === m && x.channel === c)) })), ...(blended.length ? [{ name: label('blended'), value: barValue(blended.find((x) => x.month === m)) }] : [])],
  }));
  const totalNew = blended.reduce((a, r) => a + r.new_customers, 0);
  // Customers count by whole month (the CAC months), which may start before and end after the spend period in the header.
  const firstMonth = blended[0]?.month;
  const lastMonth = blended.at(-1)?.month;
  const month = (m: string): string => `<span>${esc(monthLabel(m))}</span>`;
  const customerMonths = firstMonth && lastMonth ? (firstMonth === lastMonth ? month(firstMonth) : `${month(firstMonth)} to ${month(lastMonth)}`) : null;
  const cur = d.currency;
  const unit = cur ? '' : '';

  const spendTable = channels
    .map((c) => {
      const vals = d.spendDaily.filter((p) => p.channel === c).map((p) => p.spend);
      const total = sumDecimals(vals);
      return `<tr data-channel="${esc(c)}"><td>${esc(label(c))}</td>${cell(total, money(total, cur))}<td class="num">${int(vals.length)}</td></tr>`;
    })
    .join('');
  const cacTable = [...blended.map((r) => ({ ...r, channel: 'blended' })), ...byChannel]
    .sort((a, b) => a.month.localeCompare(b.month) || (a.channel === 'blended' ? 1 : b.channel === 'blended' ? -1 : a.channel!.localeCompare(b.channel!)))
    .map((r) => {
      const m = r.month.slice(0, 7);
      const cac = definedCac(r);
      const classes = [...(r.channel === 'blended' ? ['blended'] : []), ...(partial.has(m) ? ['partial'] : [])];
      const gap = r.tracked === false && r.coverageGap ? r.coverageGap : null;
      const mtd = monthToDateLabel(r);
      const flags = [
        ...(mtd ? [`<span class="flag mtd" title="${esc(monthToDateTitle(r))}">${esc(r.asOf ? `to ${r.asOf.slice(5, 10)}` : 'to date')}</span>`] : []),
        ...(partial.has(m) ? [`<span class="flag" title="${esc(gap ?? 'only part of this month was synced')}">partial</span>`] : []),
        ...(gap && !partial.has(m) ? [`<span class="flag" title="${esc(gap)}">incomplete spend</span>`] : []),
        ...((r.spendRowsWithoutFx ?? 0) > 0 ? [`<span class="flag fx" title="${r.spendRowsWithoutFx} spend rows without an exchange rate are left out">FX missing</span>`] : []),
      ];
      return `<tr data-month="${esc(m)}" data-channel="${esc(r.channel!)}"${mtd ? ` data-month-to-date="${esc(r.asOf ?? '')}"` : ''}${partial.has(m) ? ' data-partial="true"' : ''}${gap ? ` data-coverage-gap="${esc(gap)}"` : ''}${(r.spendRowsWithoutFx ?? 0) > 0 ? ` data-missing-fx="${r.spendRowsWithoutFx}"` : ''}${classes.length ? ` class="${classes.join(' ')}"` : ''}><td>${esc(monthLabel(m))}${flags.join('')}</td><td>${esc(label(r.channel!))}</td>${cell(r.spend, money(r.spend, cur))}${cell(r.new_customers, int(r.new_customers))}${cell(cac, money(cac, cur), cac === null ? 'num no-cac' : 'num')}</tr>`;
    })
    .join('');
  const latestCac = ((r) => (r ? definedCac(r) : null))(blended[blended.length - 1]);
  const campaignRows = d.topCampaigns
    .map(
      (c, i) =>
        `<tr data-campaign-id="${esc(c.campaign_id)}"><td class="num">${i + 1}</td><td>${esc(c.campaign_name)}<div class="sub">act_${esc(c.account_id)} · ${esc(c.campaign_id)}</div></td>${cell(c.spend_reporting, money(c.spend_reporting, cur))}${cell(c.spend, money(c.spend, c.currency))}${cell(c.impressions, int(c.impressions))}${cell(c.clicks, int(c.clicks))}${cell(c.conversions, c.conversions === null ? '—' : int(Number(c.conversions)))}</tr>`,
    )
    .join('');
  const latest = blended[blended.length - 1];
  const latestToDate = latest ? monthToDateLabel(latest) : null;

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="fb-ads-elt">
<title>${esc(d.title)}</title>
<style>
:root{color-scheme:light;--ink:#111827;--muted:#6b7280;--line:#e5e7eb;--bg:#f9fafb;--card:#fff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:860px;margin:0 auto;padding:32px 20px 48px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:18px;margin:0 0 12px}
.meta,.sub,.note{color:var(--muted);font-size:13px}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:12px;margin:24px 0}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.kpi .sub span{white-space:nowrap}
.kpi b{display:block;font-size:21px;font-variant-numeric:tabular-nums;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.scroll{overflow-x:auto}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 20px}
.chart{width:100%;height:auto;display:block;margin:0 0 12px}
.chart .grid{stroke:var(--line);stroke-width:1}
.chart .tick{fill:var(--muted);font-size:11px}
table{width:100%;border-collapse:collapse;font-size:14px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.03em}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.blended td{font-weight:600}
.flag{display:inline-block;margin-left:6px;padding:0 5px;border-radius:4px;background:#fef3c7;color:#92400e;font-size:11px;font-weight:600;white-space:nowrap}
.flag.fx{background:#fee2e2;color:#991b1b}
code{font-size:13px}
footer{color:var(--muted);font-size:12px;margin-top:24px}
@media (max-width:480px){main{padding:20px 10px 32px}section{padding:14px 10px}table{font-size:13px}th,td{padding:5px 4px}.flag{margin-left:3px}}
@media print{body{background:#fff}section,.kpi{break-inside:avoid;border-color:#ccc}}
</style>
</head>
<body>
<main>
<header>
<h1>${esc(d.title)}</h1>
<div class="meta">${esc(d.period.from)} to ${esc(d.period.to)}${d.readAt ? ` · Meta data read ${esc(d.readAt)}` : ''} · generated ${esc(d.generatedAt)}${cur ? ` · amounts in ${esc(cur)}` : ''}</div>
</header>
<div class="kpis">
<div class="kpi" id="kpi-spend"><span class="sub">Ad spend${cur ? ` (${esc(cur)})` : ''}${d.spendRowsWithoutFx ? `<span class="flag fx" title="${d.spendRowsWithoutFx} spend rows without an exchange rate are left out">FX missing</span>` : ''}</span><b data-value="${esc(totalSpend)}">${esc(money(totalSpend, null))}</b></div>
<div class="kpi" id="kpi-customers"><span class="sub">New customers${customerMonths ? `, ${customerMonths}` : ''}</span><b data-value="${totalNew}">${int(totalNew)}</b></div>
<div class="kpi" id="kpi-cac"><span class="sub">Blended CAC, ${esc(latest ? `${monthLabel(latest.month)}${latestToDate ? ` (${latestToDate})` : ''}` : 'n/a')}${cur ? ` (${esc(cur)})` : ''}</span><b${latestCac !== null ? ` data-value="${esc(latestCac)}"` : ''}>${esc(money(latestCac, null))}</b></div>
<div class="kpi" id="kpi-campaigns"><span class="sub">${esc(label(FOCUS_PLATFORM))} campaigns with spend</span><b data-value="${d.campaignsWithSpend}">${int(d.campaignsWithSpend)}</b></div>
</div>

<section id="spend-by-channel">
<h2>Spend by channel over time</h2>
${series.length ? lineChart(series, { label: 'Daily spend by channel', unit, xs: days }) : '<p class="note">No spend in this period.</p>'}
<table>
<thead><tr><th>Channel</th><th class="num">Spend</th><th class="num">Days</th></tr></thead>
<tbody>${spendTable}</tbody>
</table>
</section>

<section id="cac">
<h2>Customer acquisition cost by month and channel</h2>
${d.cacAvailable === false ? '<p class="note">No CAC: no orders relation is configured (dbt var <code>cac_orders</code>).</p>' : groups.length ? groupedBarChart(groups, { label: 'CAC by month and channel', unit }) : '<p class="note">No customers or spend in this period.</p>'}
<div class="scroll"><table>
<thead><tr><th>Month</th><th>Channel</th><th class="num">Spend</th><th class="num">New customers</th><th class="num">CAC</th></tr></thead>
<tbody>${cacTable}</tbody>
</table></div>
<p class="note">CAC = spend ÷ new customers in the month. “—” where CAC is not defined: months whose spend some platform did not read in full (before its sync starts, after it stops, or read for part of the month: spend is then incomplete; a day read with no spend counts as read), channels without spend (organic, unattributed), months without new customers. <span class="flag">partial</span> (and * on the month) marks a month some platform's spend was read for part of only, <span class="flag">incomplete spend</span> another month a platform does not cover in full; <span class="flag mtd">to MM-DD</span> the current month, counted from the 1st to the last day every platform was read in full (month to date, not the month's CAC); <span class="flag fx">FX missing</span> a month whose spend lacks exchange rates.</p>
<p class="note" id="time-zone-rule">${esc(timeZoneRule(d.timeZone))}</p>
</section>

<section id="top-campaigns">
<h2>Top ${esc(label(FOCUS_PLATFORM))} campaigns by spend</h2>
${
  d.topCampaigns.length
    ? hBarChart(
        d.topCampaigns.map((c) => ({ label: c.campaign_name, value: Number(c.spend_reporting ?? 0) })),
        { label: `Top ${label(FOCUS_PLATFORM)} campaigns by spend` },
      )
    : ''
}
<div class="scroll"><table>
<thead><tr><th class="num">#</th><th>Campaign</th><th class="num">Spend${cur ? ` (${esc(cur)})` : ''}</th><th class="num">Spend (local)</th><th class="num">Impr.</th><th class="num">Clicks</th><th class="num">Conv.</th></tr></thead>
<tbody>${campaignRows}</tbody>
</table></div>
</section>
${d.notes.length ? `<section id="notes"><h2>Notes</h2><ul>${d.notes.map((n) => `<li class="note">${esc(n)}</li>`).join('')}</ul></section>` : ''}
<footer>Source: ${d.sources.map(esc).join(', ')}. Built by fb-ads-elt from the warehouse marts; conversions are Meta's figure under the attribution setting the tap reads with (each ad set's own by default, as Ads Manager shows them; the requested attribution windows only add per-window figures to the raw rows), and the last 28 days may still change (Meta restates up to 28 days).</footer>
</main>
</body>
</html>
`;
}
