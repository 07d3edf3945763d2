import { expect } from 'chai';
import { Logger } from '../../../connector/core/log.js';
import { Redactor } from '../../../connector/core/secrets.js';
import { dayInZone, splitRange, addDays, graphTimeToRfc3339, daysBetween } from '../../../connector/core/dates.js';
import { ConfigError, DataError, asConnectorError } from '../../../connector/core/errors.js';

describe('JSON logger', () => {
  const lines: string[] = [];
  const sink = { write: (l: string) => lines.push(l) };
  beforeEach(() => (lines.length = 0));

  it('writes one redacted JSON object per line with bound fields', () => {
    const log = new Logger({ component: 'tap', sink, redactor: new Redactor(['sbx_secret_token_123']), now: () => new Date(0) }).child({ run_id: 'r1' });
    log.warn('retrying https://h/v25.0/act_1/ads?access_token=sbx_secret_token_123', { account_id: '1' });
    expect(lines).to.have.length(1);
    const obj = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(obj).to.include({ level: 'warn', component: 'tap', run_id: 'r1', account_id: '1', ts: '1970-01-01T00:00:00.000Z' });
    expect(lines[0]).not.to.include('sbx_secret_token_123');
  });

  it('logs failures with their kind and hint, and progress/metric points with a type', () => {
    const log = new Logger({ component: 'tap', sink });
    log.failure(new ConfigError('bad', { hint: 'fix it', context: { field: 'x' } }));
    log.progress('insights', { account_id: '1', done: 3, total: 9 });
    log.metric('counter', 'record_count', 10, { stream: 'ads' });
    const [f, p, m] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(f).to.include({ level: 'error', error_kind: 'config', hint: 'fix it', field: 'x' });
    expect(p).to.include({ type: 'progress', done: 3 });
    expect(m).to.include({ type: 'metric', metric: 'record_count', value: 10 });
  });

  it('drops lines below the configured level', () => {
    new Logger({ component: 't', sink, level: 'warn' }).info('quiet');
    expect(lines).to.have.length(0);
  });
});

describe('typed errors', () => {
  it('map each kind to its documented exit code', () => {
    expect(new ConfigError('x').exitCode).to.equal(2);
    expect(new DataError('x').exitCode).to.equal(6);
    expect(asConnectorError(new Error('boom')).exitCode).to.equal(1);
  });
});

describe('dates in the account time zone', () => {
  it('computes today in the account zone, not the machine zone', () => {
    const instant = new Date('2026-03-01T06:30:00Z');
    expect(dayInZone(instant, 'America/Los_Angeles')).to.equal('2026-02-28');
    expect(dayInZone(instant, 'Asia/Tokyo')).to.equal('2026-03-01');
    expect(() => dayInZone(instant, 'Mars/Base')).to.throw(ConfigError);
  });

  it('splits ranges and crosses DST and month ends', () => {
    expect(splitRange('2026-01-30', '2026-02-03', 2)).to.deep.equal([
      { since: '2026-01-30', until: '2026-01-31' },
      { since: '2026-02-01', until: '2026-02-02' },
      { since: '2026-02-03', until: '2026-02-03' },
    ]);
    expect(addDays('2026-03-28', 2)).to.equal('2026-03-30');
    expect(daysBetween('2026-03-01', '2026-03-31')).to.equal(31);
  });

  it('normalises Graph datetimes to RFC 3339 UTC', () => {
    expect(graphTimeToRfc3339('2024-06-01T10:00:00+0200')).to.equal('2024-06-01T08:00:00Z');
    expect(graphTimeToRfc3339('2024-06-01T10:00:00+0000')).to.equal('2024-06-01T10:00:00Z');
  });
});
