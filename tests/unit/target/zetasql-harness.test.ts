// The ZetaSQL harness accepts valid BigQuery SQL against a registered catalog and rejects bad SQL.
import { expect } from 'chai';
import { startZetaSql, type ZetaSqlHarness } from '../../helpers/zetasql.js';

describe('ZetaSQL test harness', function () {
  this.timeout(60000);
  let z: ZetaSqlHarness;
  before(async () => {
    z = await startZetaSql();
    await z.registerCatalog([
      {
        project: 'test-proj',
        dataset: 'facebook_ads',
        name: 'ads',
        fields: [
          { name: 'id', type: 'STRING', mode: 'NULLABLE' },
          { name: 'spend', type: 'NUMERIC', mode: 'NULLABLE' },
          { name: 'actions', type: 'RECORD', mode: 'REPEATED', fields: [{ name: 'action_type', type: 'STRING', mode: 'NULLABLE' }] },
          { name: 'raw', type: 'JSON', mode: 'NULLABLE' },
        ],
      },
    ]);
  });
  after(async () => z?.stop());

  it('accepts a MERGE, QUALIFY and JSON functions over the catalog', async () => {
    expect(await z.analyze('SELECT id, JSON_VALUE(raw, "$.x") AS x FROM `test-proj`.facebook_ads.ads WHERE TRUE QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY spend DESC) = 1')).to.deep.equal({ ok: true });
    expect(await z.analyze('SELECT a.action_type FROM facebook_ads.ads, UNNEST(actions) AS a WHERE id = @p')).to.deep.equal({ ok: true });
  });

  it('rejects unknown columns and DuckDB-only functions with the reason', async () => {
    const r = await z.analyze('SELECT cost FROM facebook_ads.ads');
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.error).to.match(/Unrecognized name: cost/);
    const r2 = await z.analyze('SELECT list_aggregate(actions, "count") FROM facebook_ads.ads');
    expect(r2.ok).to.equal(false);
  });

  it('lists the tables a statement touches', async () => {
    expect(await z.tableNames('SELECT 1 FROM `test-proj`.`facebook_ads`.`ads`')).to.deep.equal([['test-proj', 'facebook_ads', 'ads']]);
  });
});
