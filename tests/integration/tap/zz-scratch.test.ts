import { catalogSelecting, runTap, sandboxedTap, tapConfig } from './helpers.js';
describe('scratch', function () {
  this.timeout(120_000);
  const rig = sandboxedTap();
  it('probe', async () => {
    const acct = rig.sb.world.accounts[0]!;
    rig.sb.faults.add({ kind: 'object_error', path: `^/act_${acct.accountId}/adcreatives$` });
    const r = await runTap({ now: rig.sb.now(), config: tapConfig(rig.sb, rig.rec.baseUrl), catalog: catalogSelecting(['ads', 'ad_creatives', 'sync_log']), args: ['--account', acct.accountId, '--days', '2'], dir: rig.tmp.dir });
    console.log(r.code, r.records('ad_creatives').length, r.records('ads').length, JSON.stringify(r.records('sync_log')[0]?.['streams']).slice(0, 600));
    console.log(r.stderr.split('\n').filter((l) => /warn|error/.test(l)).slice(-4).join('\n').slice(0, 1500));
  });
});
