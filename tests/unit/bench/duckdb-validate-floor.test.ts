import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { duckValidateSql } from '../../../bench/duckdb-validate-floor.js';
import { writeInsightsInput } from '../../../bench/singer-input.js';

// The validate-in-DuckDB floor is only a floor if its SQL really rejects what the target's ajv
// rejects for the properties it checks: each case below breaks one record one way.
describe('bench: the validate-in-DuckDB floor checks records in SQL', function () {
  this.timeout(60_000);
  let dir: string;
  let lines: string[];
  let schema: Record<string, unknown>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'duck-floor-'));
    const file = join(dir, 'in.jsonl');
    await writeInsightsInput(file, 4);
    lines = readFileSync(file, 'utf8').trim().split('\n');
    schema = (JSON.parse(lines[0]!) as { schema: Record<string, unknown> }).schema;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Rows and invalid count over the 4-record file with record 2 changed by `edit`. */
  async function run(name: string, edit?: (r: Record<string, unknown>) => void): Promise<{ rows: number; invalid: number }> {
    const out = lines.map((l, i) => {
      if (i !== 2 || !edit) return l;
      const m = JSON.parse(l) as { record: Record<string, unknown> };
      edit(m.record);
      return JSON.stringify(m);
    });
    const file = join(dir, `${name}.jsonl`);
    writeFileSync(file, `${out.join('\n')}\n`);
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const c = await instance.connect();
    try {
      const row = (await c.runAndReadAll(duckValidateSql(file, schema, 'insights_ad'))).getRows()[0]!;
      return { rows: Number(row[0]), invalid: Number(row[1]) };
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  }

  it('passes the tap-shaped records the bench generates', async () => {
    expect(await run('valid')).to.deep.equal({ rows: 4, invalid: 0 });
  });

  it("passes an action list's null values and an element whose action_type is null", async () => {
    expect(await run('nulls-in-lists', (r) => (r['actions'] as unknown[]).push({ action_type: null, value: null }))).to.deep.equal({ rows: 4, invalid: 0 });
  });

  it('passes null in a nullable property and an integer written 12.0', async () => {
    expect(await run('nullable', (r) => Object.assign(r, { impressions: 12.0, spend: null, ad_name: null }))).to.deep.equal({ rows: 4, invalid: 0 });
  });

  const broken: Array<[string, (r: Record<string, unknown>) => void]> = [
    ['a string where an integer goes', (r) => (r['impressions'] = '12')],
    ['a fraction where an integer goes', (r) => (r['clicks'] = 1.5)],
    ['a number where a decimal string goes', (r) => (r['spend'] = 12.5)],
    ['a decimal string off its pattern', (r) => (r['spend'] = '12,50')],
    ['a date that is not one', (r) => (r['date_start'] = '2024-02-30')],
    ['a timestamp off the date-time format', (r) => (r['_sdc_extracted_at'] = 'yesterday')],
    ['a required non-null property missing', (r) => delete r['ad_id']],
    ['null in a required non-null property', (r) => (r['account_id'] = null)],
    ['a boolean written as a string', (r) => (r['use_unified_attribution_setting'] = 'true')],
    ['a number in an action list where a string goes', (r) => ((r['actions'] as Record<string, unknown>[])[1]!['value'] = 3)],
    ['an action list element that is not an object', (r) => (r['actions'] as unknown[]).push('link_click')],
    ['an action list element without its required action_type', (r) => (r['cost_per_action_type'] as unknown[]).push({ value: '0.5' })],
    ['an object in an action list element', (r) => ((r['actions'] as Record<string, unknown>[])[0]!['7d_click'] = { n: '1' })],
    ['a number in a list of strings', (r) => (r['attribution_windows'] as unknown[]).push(7)],
  ];
  for (const [what, edit] of broken) {
    it(`counts a record invalid: ${what}`, async () => {
      expect(await run(what.replace(/\W+/g, '-'), edit)).to.deep.equal({ rows: 4, invalid: 1 });
    });
  }
});
