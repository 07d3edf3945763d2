// The report's headline figures as three lines of text, for a terminal (the demo's and
// `fb-ads-elt report`'s): spend by channel over the period, the latest month's blended CAC (or why
// it is not defined), and the top campaign; then lines for models older than the last sync and
// for stale accounts, when there are any.
import { channelLabel, definedCac, money, monthToDateLabel, type ReportData } from './html.js';

/** Three lines of what the report shows (more when the models are behind or accounts stale), for the terminal. */
export function reportHighlights(r: ReportData): string[] {
  const cur = r.currency ? ` ${r.currency}` : '';
  const byChannel = new Map<string, number>();
  for (const p of r.spendDaily) byChannel.set(p.channel, (byChannel.get(p.channel) ?? 0) + Number(p.spend));
  const fmt = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const blended = r.cac.filter((c) => c.channel === null).sort((a, b) => a.month.localeCompare(b.month));
  const last = blended[blended.length - 1];
  // The report marks these months (*) in its CAC table; the terminal line must not read as a full month.
  const partial = (month: string): boolean => (r.partialMonths ?? []).includes(month.slice(0, 7));
  // The run day's month: CAC so far, said so (and to which day), never passed off as the month's.
  const toDate = last ? monthToDateLabel(last) : null;
  const top = r.topCampaigns[0];
  return [
    // Rows without an exchange rate are out of the sums: a total of 0.00 must not read as no spend.
    `Spend ${r.period.from} → ${r.period.to}: ${[...byChannel].map(([c, v]) => `${channelLabel(c, r.channelLabels)} ${fmt(v)}${cur}`).join(' · ') || 'none'}${r.spendRowsWithoutFx ? ` (${r.spendRowsWithoutFx} spend rows without an exchange rate to${cur} left out: add them to the dbt var fx_rates' relation)` : ''}`,
    last
      ? `Blended CAC ${last.month.slice(0, 7)}${partial(last.month) ? '*' : ''}${toDate ? ` (${toDate})` : ''}: ${definedCac(last) === null ? `— (not defined: ${last.coverageGap ?? 'no tracked spend or no new customers'})` : `${fmt(Number(last.cac))}${cur}`} from ${last.new_customers} new customers${partial(last.month) ? " (* partial month: some platform's spend was read for part of it only)" : ''}`
      : 'CAC: no months with data',
    top ? `Top campaign: ${top.campaign_name} (act_${top.account_id}) ${top.spend_reporting === null || top.currency === r.currency ? '' : `${money(top.spend_reporting, r.currency)} = `}${money(top.spend, top.currency)}` : 'Top campaign: none',
    // Figures from models older than the last sync: the terminal reader must not take them for its.
    ...(r.modelsBehind ? [`Models behind: built on insights to ${r.modelsBehind.builtTo}, the warehouse holds them to ${r.modelsBehind.rawTo} (build them again)`] : []),
    // A partial run's models show the failed accounts' old rows: the terminal says so, as the page's notes do.
    ...(r.staleAccounts?.length ? [`Stale (latest sync failed): ${r.staleAccounts.map((a) => `act_${a.account_id} ${a.readTo ? `read to ${a.readTo}` : 'nothing read yet'}`).join(', ')}`] : []),
  ];
}
