import { expect } from 'chai';
import { newAjv } from '../../../connector/core/config.js';
import { DECIMAL_FORMATS } from '../../../connector/target/fields.js';
import { cpuModel } from '../../../bench/machine.js';
import { check, fmtBytes, fmtMs, fmtNum, fmtRatio, ratio, renderResults, renderTable, type Results } from '../../../bench/report.js';
import { parseArgs, SCENARIOS } from '../../../bench/run.js';
import { perAccountCalls, addDaysIso, NAIVE_KNOBS } from '../../../bench/scenarios/sync.js';
import { commitTime } from '../../../bench/scenarios/target.js';
import { insightsAdRecord, insightsAdSchema } from '../../../bench/singer-input.js';
import { emptyStats } from '../../../connector/sandbox/stats.js';
import { readJsonFile, REPO_ROOT } from '../../../connector/core/config.js';
import { join } from 'node:path';

describe('bench report and ratio code', () => {
  it('divides a figure by its baseline and refuses a zero or missing baseline instead of printing Infinity', () => {
    expect(ratio(50, 10)).to.equal(5);
    expect(ratio(1, 3)).to.be.closeTo(0.3333, 1e-4);
    expect(ratio(5, 0)).to.equal(undefined);
    expect(ratio(5, undefined)).to.equal(undefined);
    expect(ratio(Number.NaN, 2)).to.equal(undefined);
    expect(fmtRatio(undefined)).to.equal('n/a');
  });

  it('formats ratios, numbers, bytes and durations with sensible precision', () => {
    expect(fmtRatio(0.0789)).to.equal('0.08×');
    expect(fmtRatio(12.34)).to.equal('12.3×');
    expect(fmtRatio(250.4)).to.equal('250×');
    expect(fmtNum(1234567)).to.equal('1,234,567');
    expect(fmtNum(2.345, 2)).to.equal('2.35');
    expect(fmtBytes(300 * 1024 * 1024)).to.equal('300 MiB');
    expect(fmtBytes(2 * 1024 ** 3)).to.equal('2.00 GiB');
    expect(fmtBytes(0)).to.equal('n/a');
    expect(fmtBytes(1536)).to.equal('1.5 KiB');
    expect(fmtMs(250)).to.equal('250 ms');
    expect(fmtMs(2500)).to.equal('2.5 s');
    expect(fmtMs(90_000)).to.equal('1.5 min');
  });

  it('keeps why/close only on a target that was not met', () => {
    const miss = { why: 'slow', close: 'faster' };
    expect(check('t', 'm', true, miss)).to.deep.equal({ target: 't', measured: 'm', met: true });
    expect(check('t', 'm', false, miss)).to.include({ why: 'slow', close: 'faster', met: false });
  });

  it('escapes pipes in table cells so a figure cannot break the Markdown table', () => {
    const md = renderTable({ head: ['a', 'b'], rows: [['x|y', '1']] });
    expect(md.split('\n')).to.deep.equal(['| a | b |', '|---|---|', '| x\\|y | 1 |']);
  });

  it('writes RESULTS.md with the command, machine, date, every target verdict and why a missed one was missed', () => {
    const r: Results = {
      command: 'npm run bench',
      date: '2026-11-25T12:00:00.000Z',
      machine: { cpu: 'Test CPU', cores: 2, ramBytes: 8 * 1024 ** 3, node: 'v20.0.0', os: 'Linux', load: '1 / 1 / 1' },
      mode: 'full',
      totalSeconds: 42,
      findings: ['connector/x.ts: slow because y (measured 3×)'],
      sections: [
        {
          title: 'Scenario A',
          setup: 'ran A',
          tables: [{ head: ['h'], rows: [['v']] }],
          checks: [check('≥ 5× faster', '7×', true), check('≤ 1/3 calls', '0.5×', false, { why: 'entity reads', close: 'fewer jobs' })],
          notes: ['a note'],
          seconds: 3,
        },
      ],
    };
    const md = renderResults(r);
    expect(md).to.include('Command: `npm run bench` (full mode)');
    expect(md).to.include('Test CPU, 2 cores, 8.00 GiB RAM');
    expect(md).to.include('2026-11-25T12:00:00.000Z');
    expect(md).to.include('| Scenario A | ≥ 5× faster | 7× | met |');
    expect(md).to.include('| Scenario A | ≤ 1/3 calls | 0.5× | **missed** |');
    expect(md).to.include('- Why: entity reads');
    expect(md).to.include('- What would close it: fewer jobs');
    expect(md).to.include('connector/x.ts: slow because y');
  });

  it('reads the CPU model from /proc/cpuinfo text', () => {
    expect(cpuModel('processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: x\n')).to.equal('AMD EPYC 7B13');
    expect(cpuModel('nothing here')).to.equal(undefined);
  });

  it('parses the bench flags and rejects unknown scenarios', () => {
    expect(parseArgs([]).only).to.deep.equal([...SCENARIOS]);
    const a = parseArgs(['--quick', '--only', 'target,sync', '--out', '/tmp/x.md']);
    expect(a).to.deep.include({ quick: true, only: ['target', 'sync'], out: '/tmp/x.md' });
    expect(() => parseArgs(['--only', 'nope'])).to.throw(/--only/);
    expect(() => parseArgs(['--fast'])).to.throw(/unknown argument/);
  });

  it('reaches the naive mode through knobs that exist in spec.json', () => {
    const spec = readJsonFile(join(REPO_ROOT, 'spec.json'), 'spec') as { properties: Record<string, unknown> };
    for (const k of Object.keys(NAIVE_KNOBS)) expect(spec.properties, k).to.have.property(k);
  });

  it('turns sandbox endpoint counters into calls per account, with discovery counted apart', () => {
    const s = emptyStats();
    s.byEndpoint = { 'GET /act_{id}/campaigns': 4, 'POST /act_{id}/insights': 16, 'GET /{id}': 20, 'GET /me/adaccounts': 2, 'jobs:created': 16 };
    const rows = perAccountCalls(s, 4);
    expect(rows.find((r) => r.what === 'campaigns')!.perAccount).to.equal(1);
    expect(rows.find((r) => r.endpoint === 'POST /act_{id}/insights')!.perAccount).to.equal(4);
    expect(rows.find((r) => r.endpoint === 'everything else')!.total).to.equal(2);
    expect(addDaysIso('2026-03-01', -1)).to.equal('2026-02-28');
  });

  it('sums the target’s batch_commit_ms metric lines and ignores other or torn lines', () => {
    const lines = [JSON.stringify({ level: 'info', msg: 'metric batch_commit_ms', metric: 'batch_commit_ms', value: 120 }), '{"metric":"batch_commit_ms","value":', JSON.stringify({ level: 'info', msg: 'load finished' }), JSON.stringify({ metric: 'batch_commit_ms', value: 80 })];
    expect(commitTime(lines.join('\n'))).to.deep.equal({ ms: 200, batches: 2 });
  });

  it('generates insights_ad records that the announced schema accepts, with distinct keys', () => {
    const { schema, keys } = insightsAdSchema();
    expect(keys).to.deep.equal(['ad_id', 'date_start']);
    const ajv = newAjv();
    for (const f of DECIMAL_FORMATS) ajv.addFormat(f, /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/);
    const validate = ajv.compile(schema);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const r = insightsAdRecord(i, 100, '2026-11-20T12:00:00.000Z');
      expect(validate(r), JSON.stringify(validate.errors)).to.equal(true);
      seen.add(`${String(r['ad_id'])}|${String(r['date_start'])}`);
    }
    expect(seen.size).to.equal(300);
  });
});
