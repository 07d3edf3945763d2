import { expect } from 'chai';
import { Logger } from '../../../connector/core/log.js';
import { ProgressReporter, formatElapsed } from '../../../connector/pipeline/progress.js';
import { MemorySink } from '../../integration/pipeline/standins.js';

describe('sync progress on stderr', () => {
  it('draws one live line on a terminal, cleared before other output and never longer than the terminal', async () => {
    const out = Object.assign(new MemorySink(), { columns: 100 });
    let now = 0;
    const p = new ProgressReporter({ tty: true, out, log: new Logger({ component: 't', sink: new MemorySink() }), now: () => now });
    p.start();
    p.setPhase('syncing');
    p.onChildFields({ account_id: '123456', stream: 'insights_ad' });
    for (let i = 0; i < 1500; i++) p.onRecord('insights_ad');
    now = 75_000;
    p.redraw();
    const drawn = out.chunks.at(-1)!;
    expect(drawn.startsWith('\r\x1b[2K')).to.equal(true);
    expect(drawn).to.include('[01:15]').and.include('act_123456').and.include('insights_ad').and.include('1,500 rows');
    expect(drawn).to.equal('\r\x1b[2K[01:15] syncing: act_123456 · insights_ad · 1,500 rows · 1 account');
    out.columns = 30;
    p.redraw();
    expect(out.chunks.at(-1)).to.equal('\r\x1b[2K[01:15] syncing: act_123456 …');
    p.clear();
    expect(out.chunks.at(-1)).to.equal('\r\x1b[2K');
    p.stop();
  });

  it('writes JSON progress points instead when stderr is not a terminal', async () => {
    const logs = new MemorySink();
    const out = new MemorySink();
    const p = new ProgressReporter({ tty: false, out, log: new Logger({ component: 't', sink: logs }), intervalMs: 20 });
    p.start();
    p.setPhase('syncing');
    p.onChildFields({ account_id: '42', stream: 'ads' });
    p.onRecord('ads');
    await new Promise((r) => setTimeout(r, 120));
    p.stop();
    expect(out.text).to.equal('');
    const points = logs.lines().filter((l) => l['msg'] === 'sync progress');
    expect(points.length).to.be.greaterThan(0);
    expect(points[0]).to.include({ type: 'progress', phase: 'syncing', rows: 1, account_id: '42', stream: 'ads', accounts_seen: 1 });
  });

  it('formats elapsed time as mm:ss', () => {
    expect([0, 9, 75, 3600].map(formatElapsed)).to.deep.equal(['00:00', '00:09', '01:15', '60:00']);
  });
});
