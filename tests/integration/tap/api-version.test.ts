// The tap on an older Graph version: report-run polls must not ask v24.0 for the error fields that
// exist from v25.0 only (connector/sandbox/meta-sdk/rules.ts FIELD_SINCE), or every poll fails.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { killRunningTaps, recordingProxy, runTap, tapConfig, tempDir, TEST_TODAY, type Recorder } from './helpers.js';

describe('tap-facebook-ads on api_version v24.0 (child process)', function () {
  this.timeout(90_000);
  let sb: Sandbox;
  let rec: Recorder;
  let tmp: ReturnType<typeof tempDir>;
  before(async () => {
    sb = await startSandbox({ world: 'small', today: TEST_TODAY });
    rec = await recordingProxy(sb.baseUrl);
    tmp = tempDir();
  });
  after(async () => {
    killRunningTaps();
    await rec?.close();
    await sb?.close();
    tmp?.cleanup();
  });

  it('syncs insights, polling report runs with only the fields v24.0 has', async () => {
    const acct = sb.world.accounts[0]!;
    const config = tapConfig(sb, rec.baseUrl, { api_version: 'v24.0' });
    const discovered = await runTap({ now: sb.now(), config, args: ['--discover'], dir: tmp.dir, rawStdout: true });
    expect(discovered.code, discovered.stderr.slice(-1500)).to.equal(0);
    const catalog = JSON.parse(discovered.stdout) as { streams: Array<{ stream: string; metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }> }> };
    for (const s of catalog.streams) s.metadata[0]!.metadata['selected'] = s.stream === 'insights_ad';

    const mark = rec.calls.length;
    const r = await runTap({ now: sb.now(), config, catalog, args: ['--account', acct.accountId, '--days', '2'], dir: tmp.dir });
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expect(r.records('insights_ad').length).to.be.greaterThan(0);
    const polls = rec.calls.slice(mark).filter((c) => c.method === 'GET' && /^\/\d+$/.test(c.path));
    expect(polls.length).to.be.greaterThan(0);
    for (const p of polls) {
      const fields = String(p.params.get('fields') ?? '');
      expect(fields).to.include('async_status');
      expect(fields).to.not.match(/error_subcode|error_message|error_user_title|error_user_msg/);
    }
    expect(sb.stats().rejected.filter((x) => x.code === 100)).to.deep.equal([]);
  });
});
