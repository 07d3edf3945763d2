// The demo terminal's headline lines (reportHighlights): the "Blended CAC" line names the latest
// month as the report does — month to date with the day it runs to, partial (*), or not defined;
// the Spend line names rows left out for want of an exchange rate.
import { expect } from 'chai';
import { reportHighlights } from '../../../connector/report/highlights.js';
import type { CacRow, CampaignRow, ReportData } from '../../../connector/report/html.js';

const report = (cac: CacRow[], partialMonths: string[] = []): ReportData => ({
  title: 'demo',
  generatedAt: '2026-12-10 06:00 UTC',
  currency: 'USD',
  period: { from: '2026-11-01', to: '2026-12-10' },
  partialMonths,
  spendDaily: [{ date: '2026-12-01', channel: 'facebook_ads', spend: '90' }],
  cac,
  topCampaigns: [],
  campaignsWithSpend: 1,
  sources: [],
  notes: [],
});
const blendedLine = (r: ReportData): string => reportHighlights(r).find((l) => l.startsWith('Blended CAC'))!;
const november: CacRow = { month: '2026-11-01', channel: null, spend: '900', new_customers: 30, cac: '30', tracked: true, monthToDate: false, asOf: '2026-11-30' };

describe('demo terminal: the Blended CAC line', () => {
  it('shows the current month as month to date with the day it runs to', () => {
    const line = blendedLine(report([november, { month: '2026-12-01', channel: null, spend: '90', new_customers: 2, cac: '45', tracked: true, monthToDate: true, asOf: '2026-12-09' }]));
    expect(line).to.equal('Blended CAC 2026-12 (month to date as of 2026-12-09): 45.00 USD from 2 new customers');
  });

  it('says why the month to date has no CAC yet, never a number', () => {
    const gap = 'spend for part of the month only from facebook_ads';
    const line = blendedLine(report([november, { month: '2026-12-01', channel: null, spend: '40', new_customers: 2, cac: null, tracked: false, coverageGap: gap, monthToDate: true, asOf: null }], ['2026-12']));
    expect(line).to.equal(`Blended CAC 2026-12* (month to date): — (not defined: ${gap}) from 2 new customers (* partial month: some platform's spend was read for part of it only)`);
  });

  it('shows a month that has ended without any month-to-date label', () => {
    expect(blendedLine(report([november]))).to.equal('Blended CAC 2026-11: 30.00 USD from 30 new customers');
  });
});

describe('terminal: the Spend and Top campaign lines', () => {
  const top = (currency: string, spendReporting: string | null): CampaignRow => ({ account_id: '1', campaign_id: '2', campaign_name: 'Spring', currency, spend: '1086.82', spend_reporting: spendReporting, impressions: 1, clicks: 1, conversions: null });

  it('says how many spend rows were left out for want of an exchange rate, so a 0.00 total does not read as no spend', () => {
    const r = { ...report([]), spendDaily: [{ date: '2026-12-01', channel: 'facebook_ads', spend: '0' }], spendRowsWithoutFx: 80 };
    expect(reportHighlights(r)[0]).to.equal("Spend 2026-11-01 → 2026-12-10: Facebook ads 0.00 USD (80 spend rows without an exchange rate to USD left out: add them to the dbt var fx_rates' relation)");
    expect(reportHighlights(report([]))[0]).to.equal('Spend 2026-11-01 → 2026-12-10: Facebook ads 90.00 USD');
  });

  it('gives a campaign in the reporting currency one amount, and one in another currency both', () => {
    const line = (c: CampaignRow): string => reportHighlights({ ...report([]), topCampaigns: [c] }).find((l) => l.startsWith('Top campaign'))!;
    expect(line(top('USD', '1086.82'))).to.equal('Top campaign: Spring (act_1) 1,086.82 USD');
    expect(line(top('EUR', '1200.00'))).to.equal('Top campaign: Spring (act_1) 1,200.00 USD = 1,086.82 EUR');
  });
});
