// Issue 17: the tap used to call process.exit() while stdout (a socket made by spawn) still held
// queued writes, so a reader that fell behind lost the run's last records, sync_log rows and STATE.
// Here the reader falls behind: every line must still arrive, and match the record_count metrics the
// tap reported per stream and account.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { RecordCounts } from '../../../connector/singer/record-counts.js';
import { tapConfig, tempDir } from './helpers.js';
import { nowEnv } from '../../../connector/core/clock.js';

describe('tap-facebook-ads with a reader that falls behind', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let tmp: ReturnType<typeof tempDir>;
  before(async () => {
    sb = await startSandbox({ world: 'small', seed: 3, jobDurationMs: 5 });
    tmp = tempDir();
  });
  after(async () => {
    await sb?.close();
    tmp?.cleanup();
  });

  it('delivers every line written before it exits, and its record_count metrics add up to the RECORD lines per stream and account', async () => {
    const config = path.join(tmp.dir, 'tap.json');
    writeFileSync(config, JSON.stringify(tapConfig(sb, sb.baseUrl, { insights_lookback_days: 3 })));
    // On the sandbox's clock (FB_ADS_ELT_NOW): token expiry and "today" are the world's on any date.
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'tap-facebook-ads.js'), '--config', config, '--days', '3'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...nowEnv(sb.now()) } });
    // A reader that falls behind: after every chunk it stops reading for 50 ms, far slower than the
    // tap writes, so the tap often finishes with writes still queued in its process.
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => {
      chunks.push(c);
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 50);
    });
    const ended = new Promise<void>((r) => child.stdout.once('end', () => r()));
    const reported = new RecordCounts();
    const stderr: string[] = [];
    createInterface({ input: child.stderr }).on('line', (l) => {
      stderr.push(l);
      reported.addMetricLine(JSON.parse(l) as Record<string, unknown>);
    });
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await ended;
    const received = new RecordCounts();
    let last: Record<string, unknown> | undefined;
    for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
      if (line === '') continue;
      const m = JSON.parse(line) as { type: string; stream: string; record: Record<string, unknown> };
      last = m;
      if (m.type === 'RECORD') received.add(m.stream, typeof m.record['account_id'] === 'string' ? m.record['account_id'] : undefined);
    }
    expect(await closed, stderr.slice(-5).join('\n')).to.equal(0);
    expect(last?.['type'], 'the run ends with its final STATE').to.equal('STATE');
    expect(received.size).to.be.greaterThan(5);
    const byKey = (c: RecordCounts): string[] =>
      c
        .entries()
        .map((e) => `${e.stream}|${e.account ?? ''}=${e.count}`)
        .sort();
    expect(byKey(received)).to.deep.equal(byKey(reported));
  });
});
