import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { REPO_ROOT } from '../../connector/core/config.js';
import { startSandbox } from '../../connector/sandbox/index.js';
import { graphGet, http } from './helpers.js';

describe('sandbox: CLI and the large world', () => {
  it('fb-ads-elt sandbox prints one JSON line, serves with the scripted fault and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['bin/fb-ads-elt.js', 'sandbox', '--port', '0', '--seed', '5', '--world', 'small', '--fault', '{"kind":"http_503","times":1,"path":"^/me$"}'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Without --today the world follows the run clock: pinned here, so the test holds on any date.
      env: { ...process.env, FB_ADS_ELT_NOW: '2027-03-28T01:30:00Z' },
    });
    try {
      const lines = createInterface({ input: child.stdout! });
      const [line] = (await once(lines, 'line')) as [string];
      const info = JSON.parse(line);
      expect(info.base_url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(Date.parse(info.now) - Date.parse('2027-03-28T01:30:00Z')).to.be.within(0, 10_000);
      expect((await http(`${info.base_url}/__sandbox/clock`)).json.today).to.equal('2027-03-28');
      expect(info.api_version).to.equal('v25.0');
      expect(info.tokens.map((t: { label: string }) => t.label)).to.include.members(['agency', 'brand', 'freelancer']);
      const tok = info.tokens[0].token;
      expect(tok).to.match(/^sbx_[a-z0-9]+_[0-9a-f]{32}$/);
      expect((await graphGet(info.base_url, '/me', tok)).status).to.equal(503);
      expect((await graphGet(info.base_url, '/me', tok)).status).to.equal(200);
      const stats = await http(`${info.base_url}/__sandbox/stats`);
      expect(stats.json.faultsFired).to.deep.equal({ http_503: 1 });
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    expect(code).to.equal(0);
  });

  it('rejects a bad --fault with a config error (exit 2)', async () => {
    const child = spawn(process.execPath, ['bin/fb-ads-elt.js', 'sandbox', '--fault', '{"kind":"meteor"}'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const [code] = await once(child, 'exit');
    expect(code).to.equal(2);
    expect(err).to.include('fault');
  });

  it('starts the large world (≥ 50 accounts, ≥ 20k ads) and serves insights on demand', async () => {
    const sb = await startSandbox({ world: 'large', seed: 1 });
    try {
      expect(sb.world.accounts.length).to.be.at.least(50);
      expect(sb.world.ads.length).to.be.at.least(20000);
      const t = sb.tokens.find((x) => x.label === 'agency')!;
      const acct = sb.world.users.find((u) => u.id === t.userId)!.accountIds[5]!;
      const ads = await graphGet(sb.baseUrl, `/act_${acct}/ads`, t.token, { fields: 'id,name', limit: '100' });
      expect(ads.json.data).to.have.length(100);
      expect(ads.json.paging.next).to.be.a('string');
      const ins = await graphGet(sb.baseUrl, `/act_${acct}/insights`, t.token, { level: 'ad', time_increment: '1', date_preset: 'last_3d', fields: 'ad_id,spend', limit: '50' });
      expect(ins.status, ins.text).to.equal(200);
      expect(ins.json.data).to.have.length(50);
    } finally {
      await sb.close();
    }
  });

  it('builds a demo world of 6–8 accounts with more than 90 days of history', async () => {
    const sb = await startSandbox({ world: 'demo', seed: 1 });
    try {
      expect(sb.world.accounts.length).to.be.within(6, 8);
      const acct = sb.world.accounts[0]!;
      const t = sb.tokens.find((x) => sb.world.users.find((u) => u.id === x.userId)!.accountIds.includes(acct.accountId))!;
      const r = await graphGet(sb.baseUrl, `/act_${acct.accountId}/insights`, t.token, { level: 'account', time_increment: '1', date_preset: 'last_90d', fields: 'spend', limit: '200' });
      expect(r.json.data).to.have.length(90);
    } finally {
      await sb.close();
    }
  });
});
