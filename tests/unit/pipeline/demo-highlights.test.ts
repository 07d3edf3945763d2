// The demo terminal's headline lines (reportHighlights): the "Blended CAC" line names the latest
// month as the report does — month to date with the day it runs to, partial (*), or not defined.
import { expect } from 'chai';
import { reportHighlights } from '../../../connector/report/highlights.js';
import type { CacRow, ReportData } from '../../../connector/report/html.js';

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
