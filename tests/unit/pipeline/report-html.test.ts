import { expect } from 'chai';
import { parse } from 'node-html-parser';
import { money, renderReport, sumDecimals, type ReportData } from '../../../connector/report/html.js';
import { compact, niceTicks } from '../../../connector/report/svg.js';

const data = (): ReportData => ({
  title: 'Spend <&> CAC',
  generatedAt: '2026-11-25 10:00 UTC',
  currency: 'USD',
  period: { from: '2026-10-30', to: '2026-11-02' },
  partialMonths: ['2026-10', '2026-11'],
  timeZone: 'Europe/Berlin',
  // As queryReportData reads them from fct_ad_spend_daily's platform_label.
  channelLabels: { facebook_ads: 'Facebook Ads', google_ads: 'Google Ads' },
  spendDaily: [
    { date: '2026-10-30', channel: 'facebook_ads', spend: '10.10' },
    { date: '2026-10-31', channel: 'facebook_ads', spend: '20.205' },
    { date: '2026-11-01', channel: 'facebook_ads', spend: '5' },
    { date: '2026-11-01', channel: 'google_ads', spend: '7.5' },
  ],
  cac: [
    { month: '2026-10-01', channel: null, spend: '30.305', new_customers: 3, cac: '10.101666667' },
    { month: '2026-11-01', channel: null, spend: '12.5', new_customers: 0, cac: null, spendRowsWithoutFx: 2 },
    { month: '2026-10-01', channel: 'facebook_ads', spend: '30.305', new_customers: 3, cac: '10.101666667' },
    { month: '2026-11-01', channel: 'google_ads', spend: '7.5', new_customers: 0, cac: null },
    // As an older build of the marts wrote it: organic with spend 0 and CAC 0. Still undefined.
    { month: '2026-10-01', channel: 'organic', spend: '0', new_customers: 4, cac: '0', paid: false },
    { month: '2026-10-01', channel: 'unattributed', spend: null, new_customers: 1, cac: null, paid: false },
  ],
  topCampaigns: [{ account_id: '42', campaign_id: '120000000000001', campaign_name: 'Summer <sale>', currency: 'EUR', spend: '99.99', spend_reporting: '108.50', impressions: 1000, clicks: 10, conversions: null }],
  campaignsWithSpend: 7,
  sources: ['fct_ad_spend_daily'],
  notes: [],
});

describe('stakeholder HTML report', () => {
  const html = renderReport(data());
  const root = parse(html);

  it('is a self-contained page: no scripts, no external resources, inline CSS and three SVG charts', () => {
    expect(root.querySelectorAll('script')).to.have.length(0);
    expect(root.querySelectorAll('link')).to.have.length(0);
    expect(html).not.to.match(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.to.match(/url\(/);
    expect(root.querySelectorAll('style')).to.have.length(1);
    expect(root.querySelectorAll('svg')).to.have.length(3);
    expect(html.startsWith('<!DOCTYPE html>')).to.equal(true);
  });

  it('says conversions follow the attribution setting the tap reads with, not the attribution windows it requests (the marts sum `value`, which the windows leave alone)', () => {
    const footer = root.querySelector('footer')!.text;
    expect(footer).to.include("conversions are Meta's figure under the attribution setting the tap reads with (each ad set's own by default");
    expect(footer).not.to.match(/follow the attribution windows/);
  });

  it('puts every day of the period on the spend chart: days without spend rows on any channel are 0, not left out of the time axis', () => {
    // Facebook only, campaigns paused on 10-31 and 11-01: Meta serves no rows for those days.
    const page = parse(
      renderReport({
        ...data(),
        spendDaily: [
          { date: '2026-10-30', channel: 'facebook_ads', spend: '10' },
          { date: '2026-11-02', channel: 'facebook_ads', spend: '10' },
        ],
      }),
    );
    const line = page.querySelector('#spend-by-channel svg path')!.getAttribute('d')!;
    const points = [...line.matchAll(/[ML]([\d.]+),([\d.]+)/g)].map((m) => Number(m[2]));
    expect(points).to.have.length(4);
    // The two paused days sit on the zero line, below the two days with spend.
    expect(points[1]).to.equal(points[2]);
    expect(points[1]).to.be.greaterThan(points[0]!);
    expect(page.querySelectorAll('#spend-by-channel svg text.tick').map((t) => t.text)).to.include.members(['10-30', '10-31', '11-01', '11-02']);
  });

  it('says the campaign count and ranking are Facebook Ads campaigns, beside the spend of every channel', () => {
    // Only the focus platform's campaigns are counted and ranked (the other channels' campaigns are not in them).
    expect(root.querySelector('#kpi-campaigns .sub')!.text).to.equal('Facebook Ads campaigns with spend');
    expect(root.querySelector('#top-campaigns h2')!.text).to.equal('Top Facebook Ads campaigns by spend');
  });

  it('escapes names coming from the data', () => {
    expect(root.querySelector('h1')?.text).to.equal('Spend <&> CAC');
    expect(html).not.to.include('<sale>');
    expect(root.querySelector('tr[data-campaign-id="120000000000001"]')?.text).to.include('Summer <sale>');
  });

  it('shows exact totals per channel and per month, with no CAC where there were no customers', () => {
    const fb = root.querySelector('#spend-by-channel tr[data-channel="facebook_ads"] td[data-value]');
    expect(fb?.getAttribute('data-value')).to.equal('35.305');
    expect(fb?.text).to.equal('35.31 USD');
    expect(root.querySelector('#kpi-spend b')?.getAttribute('data-value')).to.equal('42.805');
    const nov = root.querySelectorAll('#cac tr[data-month="2026-11"][data-channel="blended"] td');
    expect(nov.map((td) => td.text)).to.deep.equal(['2026-11*partialFX missing', 'Blended', '12.50 USD', '0', '—']);
    expect(root.querySelector('#kpi-customers b')?.getAttribute('data-value')).to.equal('3');
  });

  it('names the whole months its new-customers figure counts, since they reach past the spend period in the header', () => {
    expect(root.querySelector('.meta')?.text).to.include('2026-10-30 to 2026-11-02');
    expect(root.querySelector('#kpi-customers .sub')?.text).to.equal('New customers, 2026-10* to 2026-11*');
    const one = parse(renderReport({ ...data(), cac: data().cac.filter((r) => r.month === '2026-10-01'), partialMonths: [] }));
    expect(one.querySelector('#kpi-customers .sub')?.text).to.equal('New customers, 2026-10');
  });

  it('shows "—", never 0.00, where CAC is undefined: organic, unattributed, untracked spend, no new customers', () => {
    for (const channel of ['organic', 'unattributed']) {
      const tds = root.querySelectorAll(`#cac tr[data-month="2026-10"][data-channel="${channel}"] td`);
      expect(tds[4]!.text, channel).to.equal('—');
      expect(tds[4]!.getAttribute('data-value'), channel).to.equal(undefined);
    }
    expect(root.querySelector('#cac tr[data-channel="unattributed"] td:nth-child(3)')?.text).to.equal('—');
    expect(root.querySelector('#kpi-cac b')?.text).to.equal('—');
    expect(root.querySelectorAll('#cac td.no-cac').map((td) => td.text)).to.deep.equal(['—', '—', '—', '—']);
    expect(html).not.to.match(/NaN|undefined|\[object /);
  });

  it('marks partial months and months whose spend lacks an FX rate, and states the time-zone rule', () => {
    expect(root.querySelectorAll('#cac tr[data-partial="true"]')).to.have.length(6);
    expect(root.querySelectorAll('#cac svg text').map((t) => t.text)).to.include.members(['2026-10*', '2026-11*']);
    const fx = root.querySelectorAll('#cac tr[data-missing-fx]');
    expect(fx.map((tr) => `${tr.getAttribute('data-month')} ${tr.getAttribute('data-channel')} ${tr.getAttribute('data-missing-fx')}`)).to.deep.equal(['2026-11 blended 2']);
    expect(fx[0]!.querySelector('.flag.fx')?.text).to.equal('FX missing');
    expect(root.querySelector('#time-zone-rule')?.text).to.include('calendar months in Europe/Berlin');
  });

  it('flags the spend KPI when spend rows were left out for want of an exchange rate (a total of 0.00 is not no spend)', () => {
    expect(root.querySelector('#kpi-spend .flag')).to.equal(null);
    const flagged = parse(renderReport({ ...data(), spendRowsWithoutFx: 80 })).querySelector('#kpi-spend .flag.fx');
    expect(flagged?.text).to.equal('FX missing');
    expect(flagged?.getAttribute('title')).to.equal('80 spend rows without an exchange rate are left out');
  });

  it('shows "—" for a month whose spend a platform does not cover in full, even with a cac value, and says why', () => {
    // As fct_cac_monthly before per-platform coverage wrote it: a "tracked" August with only Google
    // and TikTok spend (Facebook starts in September) and an understated CAC of 27.78.
    const gap = 'no day of it read in full by Facebook Ads';
    const page = parse(
      renderReport({
        ...data(),
        partialMonths: [],
        cac: [
          { month: '2026-08-01', channel: null, spend: '8724.18', new_customers: 314, cac: '27.784022545', tracked: false, coverageGap: gap },
          { month: '2026-08-01', channel: 'google_ads', spend: '6254.62', new_customers: 72, cac: '86.869722222', tracked: true, coverageGap: null },
        ],
      }),
    );
    const row = page.querySelector('#cac tr[data-month="2026-08"][data-channel="blended"]');
    expect(row?.getAttribute('data-coverage-gap')).to.equal(gap);
    expect(row?.querySelectorAll('td').map((td) => td.text)).to.deep.equal(['2026-08incomplete spend', 'Blended', '8,724.18 USD', '314', '—']);
    expect(row?.querySelector('.flag')?.getAttribute('title')).to.equal(gap);
    expect(page.querySelector('#kpi-cac b')?.text).to.equal('—');
    expect(page.querySelector('#cac tr[data-channel="google_ads"] td:nth-child(5)')?.text).to.equal('86.87 USD');
  });

  it('labels the current month as month to date, with the day it runs to, in the table, the chart and the KPI', () => {
    const page = parse(
      renderReport({
        ...data(),
        partialMonths: [],
        cac: [
          { month: '2026-11-01', channel: null, spend: '900', new_customers: 30, cac: '30', tracked: true, monthToDate: false, asOf: '2026-11-30' },
          { month: '2026-12-01', channel: null, spend: '90', new_customers: 2, cac: '45', tracked: true, monthToDate: true, asOf: '2026-12-09' },
          { month: '2026-12-01', channel: 'facebook_ads', spend: '90', new_customers: 1, cac: '90', tracked: true, monthToDate: true, asOf: '2026-12-09' },
          { month: '2026-12-01', channel: 'google_ads', spend: null, new_customers: 1, cac: null, tracked: false, coverageGap: null, monthToDate: true, asOf: null },
          { month: '2026-12-01', channel: 'organic', spend: null, new_customers: 3, cac: null, paid: false, tracked: false, coverageGap: null, monthToDate: true, asOf: null },
        ],
      }),
    );
    const row = page.querySelector('#cac tr[data-month="2026-12"][data-channel="blended"]');
    expect(row?.getAttribute('data-month-to-date')).to.equal('2026-12-09');
    expect(row?.querySelectorAll('td').map((td) => td.text)).to.deep.equal(['2026-12to 12-09', 'Blended', '90.00 USD', '2', '45.00 USD']);
    expect(row?.querySelector('.flag.mtd')?.getAttribute('title')).to.include('from the 1st to 2026-12-09');
    expect(page.querySelector('#cac tr[data-month="2026-12"][data-channel="google_ads"]')?.getAttribute('data-month-to-date')).to.equal('');
    // Organic reads no platform: its count runs up to the run, not to "no day read in full yet" (what the demo said of it).
    const organic = page.querySelector('#cac tr[data-month="2026-12"][data-channel="organic"] .flag.mtd')?.getAttribute('title');
    expect(organic).to.equal('no ad spend on this channel: new customers from the 1st up to the run, the run day included, so with the paid channels they can exceed the blended row, which stops at its last day read in full');
    expect(page.querySelector('#cac tr[data-month="2026-12"][data-channel="google_ads"] .flag.mtd')?.getAttribute('title')).to.equal('no day of this month has been read in full yet');
    expect(page.querySelector('#cac tr[data-month="2026-11"][data-channel="blended"]')?.hasAttribute('data-month-to-date')).to.equal(false);
    expect(page.querySelectorAll('#cac svg text').map((t) => t.text)).to.include.members(['2026-11', '2026-12 to date']);
    expect(page.querySelector('#kpi-cac .sub')?.text).to.equal('Blended CAC, 2026-12 (month to date as of 2026-12-09) (USD)');
    expect(page.querySelector('#kpi-cac b')?.text).to.equal('45.00');
  });

  it('says why there is no CAC when the warehouse has no CAC marts', () => {
    const page = parse(renderReport({ ...data(), cac: [], cacAvailable: false }));
    expect(page.querySelector('#cac')?.text).to.include('No CAC: no orders relation is configured');
  });

  it('charts CAC for paid channels only but lists every channel in the table', () => {
    const legend = root.querySelectorAll('#cac svg .legend text').map((t) => t.text);
    expect(legend).to.deep.equal(['Facebook Ads', 'Blended']);
    expect(root.querySelector('#cac tr[data-month="2026-10"][data-channel="organic"]')).to.not.equal(null);
  });

  it("names channels for people: platforms by their platform_label, the shop's own channels with a capital, ids kept in data-channel", () => {
    expect(root.querySelectorAll('#spend-by-channel svg .legend text').map((t) => t.text)).to.deep.equal(['Facebook Ads', 'Google Ads']);
    expect(root.querySelectorAll('#spend-by-channel tr[data-channel] td:first-child').map((td) => td.text)).to.deep.equal(['Facebook Ads', 'Google Ads']);
    const cacNames = Object.fromEntries(root.querySelectorAll('#cac tr[data-month="2026-10"][data-channel]').map((tr) => [tr.getAttribute('data-channel'), tr.querySelector('td:nth-child(2)')?.text]));
    expect(cacNames).to.deep.equal({ facebook_ads: 'Facebook Ads', organic: 'Organic', unattributed: 'Unattributed', blended: 'Blended' });
    expect(html).to.not.match(/>facebook_ads</);
  });

  it('ranks campaigns in the reporting currency and also shows the account-currency spend', () => {
    const tds = root.querySelectorAll('tr[data-campaign-id="120000000000001"] td[data-value]').map((td) => td.text);
    expect(tds.slice(0, 2)).to.deep.equal(['108.50 USD', '99.99 EUR']);
  });

  it('shows amounts with the minor-unit digits of their currency', () => {
    expect(money('27598943.000000000', 'KRW')).to.equal('27,598,943 KRW');
    expect(money('1234.5', 'EUR')).to.equal('1,234.50 EUR');
    expect(money(null, 'USD')).to.equal('—');
  });

  it('sums decimal strings exactly', () => {
    expect(sumDecimals(['0.1', '0.2'])).to.equal('0.30');
    expect(sumDecimals(['1.005', '-0.005', '99999999999.999999999'])).to.equal('100000000000.999999999');
    expect(sumDecimals([])).to.equal('0.00');
  });

  it('labels axes compactly without dropping significant zeros', () => {
    expect([0, 0.5, 2.5, 10, 100, 800, 1000, 1500, 125000, 2_000_000].map(compact)).to.deep.equal(['0', '0.5', '2.5', '10', '100', '800', '1k', '1.5k', '125k', '2M']);
  });

  it('chooses round axis ticks that cover the maximum', () => {
    expect(niceTicks(95)).to.deep.equal([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0)).to.deep.equal([0, 1]);
    const t = niceTicks(12345);
    expect(t[t.length - 1]).to.be.at.least(12345);
  });
});
