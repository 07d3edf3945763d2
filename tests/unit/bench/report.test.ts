import { expect } from 'chai';
import { newAjv } from '../../../connector/core/config.js';
import { DECIMAL_FORMATS } from '../../../connector/target/fields.js';
import { cpuModel } from '../../../bench/machine.js';
import { check, fmtBytes, fmtMs, fmtNum, fmtRatio, ratio, parseResults, renderResults, renderTable, type Results } from '../../../bench/report.js';
import { parseArgs, SCENARIOS } from '../../../bench/run.js';
import { perAccountCalls, addDaysIso, NAIVE_KNOBS } from '../../../bench/scenarios/sync.js';
import { commitTime } from '../../../bench/scenarios/target.js';
import { insightsAdRecord, insightsAdSchema } from '../../../bench/singer-input.js';
import { emptyStats } from '../../../connector/sandbox/stats.js';
import { readJsonFile, REPO_ROOT } from '../../../connector/core/config.js';
import { readFileSync } from 'node:fs';
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

  const sectionA = {
    title: 'Scenario A',
    setup: 'ran A',
    tables: [{ head: ['h'], rows: [['v']] }],
    checks: [check('≥ 5× faster', '7×', true), check('≤ 1/3 calls', '0.5×', false, { why: 'entity reads', close: 'fewer jobs' })],
    notes: ['a note'],
    seconds: 3,
    findings: ['connector/x.ts: slow because y (measured 3×)'],
  };
  const sectionB = { title: 'Scenario B', setup: 'ran B', tables: [], checks: [check('≤ 1 s', '2 s', false, { why: 'slow disk', close: 'faster disk' })], notes: [], seconds: 1 };
  const results = (run: Partial<Results['run']>, scenarios: Results['scenarios']): Results => ({
    run: { command: 'npm run bench', date: '2026-11-25T12:00:00.000Z', commit: 'abc123def456', mode: 'full', ...run },
    machine: { cpu: 'Test CPU', cores: 2, ramBytes: 8 * 1024 ** 3, node: 'v20.0.0', os: 'Linux', load: '1 / 1 / 1' },
    totalSeconds: 42,
    scenarios,
  });

  it('writes RESULTS.md with the command, commit, machine, date, every target verdict and why a missed one was missed', () => {
    const md = renderResults(results({}, [{ name: 'a', sections: [sectionA] }]));
    expect(md).to.include('Latest run: `npm run bench` (full mode), 2026-11-25T12:00:00.000Z, commit abc123def456');
    expect(md).to.include('Test CPU, 2 cores, 8.00 GiB RAM');
    expect(md).to.include('_Run: `npm run bench` (full mode), 2026-11-25T12:00:00.000Z, commit abc123def456, load average 1 / 1 / 1._');
    expect(md).to.include('| Scenario A | ≥ 5× faster | 7× | met | 2026-11-25 12:00 UTC |');
    expect(md).to.include('| Scenario A | ≤ 1/3 calls | 0.5× | **missed** | 2026-11-25 12:00 UTC |');
    expect(md).to.include('- Why: entity reads');
    expect(md).to.include('- What would close it: fewer jobs');
    expect(md).to.include('- connector/x.ts: slow because y');
    expect(md).to.include('- Sections from this run: Scenario A');
  });

  it('keeps the sections, glance rows and appendices of scenarios an --only run did not run, and replaces its own', () => {
    const appendix = '## Appendix (hand-run)\n\nmeasured by hand';
    const first =
      renderResults(
        results({ command: 'npm run bench', date: '2026-11-25T12:00:00.000Z' }, [
          { name: 'a', sections: [sectionA] },
          { name: 'b', sections: [sectionB] },
        ]),
      ) + `\n${appendix}\n`;
    const oldA = first.slice(first.indexOf('## Scenario A'), first.indexOf('## Scenario B')).trimEnd();
    const rerunB = { ...sectionB, checks: [check('≤ 1 s', '0.5 s', true)] };
    const second = renderResults(
      results({ command: 'npm run bench -- --only b', date: '2026-11-26T08:30:00.000Z', commit: 'fff000' }, [
        { name: 'a', sections: undefined },
        { name: 'b', sections: [rerunB] },
      ]),
      parseResults(first),
    );
    // A's section is byte for byte what the first run wrote, with the first run's own run line.
    expect(second).to.include(oldA);
    expect(oldA).to.include('_Run: `npm run bench` (full mode), 2026-11-25T12:00:00.000Z, commit abc123def456');
    expect(second).to.include('| Scenario A | ≥ 5× faster | 7× | met | 2026-11-25 12:00 UTC |');
    // B is this run's: new figures, new run line, and the old glance row and section are gone.
    expect(second).to.include('| Scenario B | ≤ 1 s | 0.5 s | met | 2026-11-26 08:30 UTC |');
    expect(second).not.to.include('| Scenario B | ≤ 1 s | 2 s |');
    expect(second).not.to.include('slow disk');
    expect(second.match(/^## Scenario B$/gm)).to.have.length(1);
    expect(second).to.include('_Run: `npm run bench -- --only b` (full mode), 2026-11-26T08:30:00.000Z, commit fff000');
    expect(second).to.include('- Sections from this run: Scenario B');
    expect(second).to.include('- Sections kept from earlier runs (each says which): Scenario A');
    // Order follows the scenarios; the hand-written appendix stays, once, at the end.
    expect(second.indexOf('## Scenario A')).to.be.lessThan(second.indexOf('## Scenario B'));
    expect(second.trimEnd().endsWith(appendix)).to.equal(true);
    expect(second.split(appendix)).to.have.length(2);
    // Re-rendering with nothing new changes no kept section.
    const third = renderResults(
      results({ command: 'npm run bench -- --only c' }, [
        { name: 'a', sections: undefined },
        { name: 'b', sections: undefined },
      ]),
      parseResults(second),
    );
    expect(third.slice(third.indexOf('## Scenario A'))).to.equal(second.slice(second.indexOf('## Scenario A')));
  });

  it('puts a placeholder for a scenario no run in the file has measured yet', () => {
    const md = renderResults(
      results({ command: 'npm run bench -- --only a' }, [
        { name: 'a', sections: [sectionA] },
        { name: 'b', sections: undefined },
      ]),
    );
    expect(md).to.include('## Scenario `b`: not measured');
    expect(md).to.include('produced by `npm run bench -- --only b`');
    expect(md.match(/^<!-- bench:scenario=b -->$/gm)).to.have.length(1);
    // A placeholder is made anew, never listed as a section kept from an earlier run.
    const again = renderResults(
      results({ command: 'npm run bench -- --only a' }, [
        { name: 'a', sections: [sectionA] },
        { name: 'b', sections: undefined },
      ]),
      parseResults(md),
    );
    expect(again).to.equal(md);
    expect(again).not.to.include('Sections kept from earlier runs');
  });

  it('reads the committed bench/RESULTS.md into scenarios, each with its run line', () => {
    const file = parseResults(readFileSync(join(REPO_ROOT, 'bench', 'RESULTS.md'), 'utf8'));
    // Which scenarios are there depends on the runs it keeps; every one it names is a scenario of run.ts.
    expect(file.sections.size).to.be.greaterThan(0);
    for (const name of file.sections.keys()) expect(SCENARIOS as readonly string[]).to.include(name);
    for (const [name, sections] of file.sections) for (const s of sections) expect(s.text, name).to.match(/^_Run: `npm run bench/m);
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
