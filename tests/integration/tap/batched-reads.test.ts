// Objects read by id go through Meta's Batch API (connector/graph/batch.ts): when Meta refuses an
// account's adcreatives pages with 100/2446289 (a creative whose post was deleted), the tap lists the
// ids and reads the creatives 50 to a batch call instead of one GET each, with the same records as a
// healthy edge read; each item's own answer is handled on its own (refused: skipped; not processed:
// read alone; throttled or failing: sent again after the same pacing as a plain call).
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import type { Creative } from '../../../connector/sandbox/world.js';
import { MAX_BATCH_REQUESTS } from '../../../connector/graph/batch.js';
import { catalogSelecting, closeTapRig, recordingProxy, runTap, sandboxedTap, tapConfig, tempDir, TEST_TODAY, type RecordedCall, type Recorder, type TapRun } from './helpers.js';

/** Records as the warehouse would key them, without the extraction instant (the pinned clock still moves). */
const byId = (r: TapRun): Map<string, string> =>
  new Map(
    r.records('ad_creatives').map((c) => {
      const { _sdc_extracted_at: _, ...rest } = c;
      return [String(c['id']), JSON.stringify(rest)];
    }),
  );

const skippedObjects = (r: TapRun): string[] => ((r.logs().find((l) => l['type'] === 'summary')?.['skipped_objects'] ?? []) as Array<Record<string, unknown>>).map((o) => String(o['object'])).sort();

const plainNodeGets = (calls: readonly RecordedCall[]): RecordedCall[] => calls.filter((c) => c.method === 'GET' && /^\/\d+$/.test(c.path));
const batchPosts = (calls: readonly RecordedCall[]): RecordedCall[] => calls.filter((c) => c.method === 'POST' && (c.path === '/' || c.path === ''));
const batchItems = (c: RecordedCall): Array<{ method: string; relative_url: string }> => JSON.parse(c.params.get('batch') ?? '[]') as Array<{ method: string; relative_url: string }>;

const restore = (sb: Sandbox, ids: readonly string[]): void => {
  for (const id of ids) (sb.world.byId.get(id) as Creative).postDeleted = false;
};

describe('tap-facebook-ads reads creatives by id through the Batch API (child process, sandbox)', function () {
  this.timeout(120_000);

  describe('an account with more creatives than one batch holds, many of them with a deleted post', () => {
    const rig = {} as { sb: Sandbox; rec: Recorder; tmp: ReturnType<typeof tempDir> };
    let acct: Sandbox['world']['accounts'][number];
    let healthy: TapRun;
    let broken: string[];
    let r: TapRun;
    let calls: RecordedCall[];

    before(async () => {
      rig.sb = await startSandbox({ world: 'large', today: TEST_TODAY });
      rig.rec = await recordingProxy(rig.sb.baseUrl);
      rig.tmp = tempDir();
      acct = [...rig.sb.world.accounts].sort((a, b) => b.creativeIds.length - a.creativeIds.length)[0]!;
      expect(acct.creativeIds.length, 'more creatives than two batches hold').to.be.greaterThan(2 * MAX_BATCH_REQUESTS);
      const run = (): Promise<TapRun> => runTap({ now: rig.sb.now(), config: tapConfig(rig.sb, rig.rec.baseUrl), catalog: catalogSelecting(['ad_creatives', 'sync_log']), args: ['--account', acct.accountId], dir: rig.tmp.dir });
      healthy = await run();
      expect(healthy.code, healthy.stderr.slice(-1500)).to.equal(0);
      // One creative in six, the first among them: the very first page fails, so every id is read by id.
      broken = acct.creativeIds.filter((_, i) => i % 6 === 1);
      for (const id of broken) rig.sb.deleteCreativePost(id);
      rig.sb.resetStats();
      const mark = rig.rec.calls.length;
      r = await run();
      calls = rig.rec.calls.slice(mark);
    });
    after(() => closeTapRig(rig));

    it('emits every readable creative with the same record a healthy edge read gives, and skips each refused one by name', () => {
      expect(r.code, r.stderr.slice(-1500)).to.equal(0);
      const want = byId(healthy);
      for (const id of broken) want.delete(id);
      expect(want.size).to.equal(acct.creativeIds.length - broken.length);
      const got = byId(r);
      expect(r.records('ad_creatives')).to.have.length(got.size, 'no creative twice');
      expect([...got.keys()].sort()).to.deep.equal([...want.keys()].sort());
      for (const [id, rec] of want) expect(got.get(id), id).to.equal(rec);
      expect(skippedObjects(r)).to.deep.equal(broken.map((id) => `creative ${id}`).sort());
      const warned = r.logs().filter((l) => l['level'] === 'warn' && String(l['msg']).includes('cannot be read; skipped'));
      expect(warned.map((l) => l['graph_subcode'])).to.deep.equal(broken.map(() => 2446289));
    });

    it('spends ceil(N/50) batch calls for N creatives read by id, and not one plain GET of a creative', () => {
      const posts = batchPosts(calls);
      const items = posts.flatMap(batchItems);
      expect(items.map((i) => i.relative_url.split('?')[0]).sort()).to.deep.equal([...acct.creativeIds].sort());
      expect(posts).to.have.length(Math.ceil(acct.creativeIds.length / MAX_BATCH_REQUESTS));
      for (const p of posts) expect(batchItems(p).length).to.be.at.most(MAX_BATCH_REQUESTS);
      expect(plainNodeGets(calls)).to.deep.equal([]);
      const stats = rig.sb.stats();
      expect(stats.batches).to.equal(posts.length);
      expect(stats.errorsByCode['100'], 'each refused creative answered once, inside its batch').to.equal(broken.length + 1);
    });

    it("asks each batched creative for exactly the fields of the edge read, as a plain GET's query", () => {
      const edgeRead = calls.find((c) => c.method === 'GET' && c.path === `/act_${acct.accountId}/adcreatives` && c.params.get('fields') !== '["id"]')!;
      for (const item of batchPosts(calls).flatMap(batchItems)) {
        expect(item.method).to.equal('GET');
        const query = new URLSearchParams(item.relative_url.split('?')[1] ?? '');
        expect([...query.keys()]).to.deep.equal(['fields']);
        expect(query.get('fields')).to.equal(edgeRead.params.get('fields'));
      }
    });

    it('reports the account as read, with its Graph calls counted as HTTP requests', () => {
      const log = r.records('sync_log')[0]!;
      const creatives = (log['streams'] as Array<Record<string, unknown>>).find((x) => x['stream'] === 'ad_creatives')!;
      expect(creatives['status']).to.equal('ok');
      expect(creatives['found']).to.equal(acct.creativeIds.length - broken.length);
      expect(Number(log['api_calls'])).to.be.lessThan(acct.creativeIds.length / 2);
    });

    after(() => restore(rig.sb, broken));
  });

  describe("each batch item's own answer", () => {
    const rig = sandboxedTap();
    let acct: Sandbox['world']['accounts'][number];
    let healthy: TapRun;
    const run = (): Promise<TapRun> => runTap({ now: rig.sb.now(), config: tapConfig(rig.sb, rig.rec.baseUrl), catalog: catalogSelecting(['ad_creatives', 'sync_log']), args: ['--account', acct.accountId], dir: rig.tmp.dir });

    before(async () => {
      acct = [...rig.sb.world.accounts].sort((a, b) => b.creativeIds.length - a.creativeIds.length)[0]!;
      expect(acct.creativeIds.length).to.be.greaterThan(4);
      healthy = await run();
      expect(healthy.code, healthy.stderr.slice(-1500)).to.equal(0);
    });

    it('reads alone, as a plain GET, an item Meta left unprocessed (null), and sends a throttled and a failing item again in the next batch', async () => {
      const [deleted, timedOut, throttled, failing] = acct.creativeIds as [string, string, string, string];
      rig.sb.deleteCreativePost(deleted);
      rig.sb.faults.add({ kind: 'timeout', path: `^/${timedOut}$`, times: 1 });
      rig.sb.faults.add({ kind: 'throttle', code: 80004, regainMinutes: 0, path: `^/${throttled}$`, times: 1 });
      rig.sb.faults.add({ kind: 'http_500', path: `^/${failing}$`, times: 1 });
      rig.sb.resetStats();
      const mark = rig.rec.calls.length;
      const r = await run();
      restore(rig.sb, [deleted]);
      const calls = rig.rec.calls.slice(mark);
      expect(r.code, r.stderr.slice(-1500)).to.equal(0);

      const want = byId(healthy);
      want.delete(deleted);
      expect(byId(r)).to.deep.equal(want);
      expect(skippedObjects(r)).to.deep.equal([`creative ${deleted}`]);

      const rounds = batchPosts(calls).map((p) => batchItems(p).map((i) => i.relative_url.split('?')[0]));
      expect(rounds, 'one batch of every id, then one of the throttled and the failing item').to.have.length(2);
      expect([...rounds[0]!].sort()).to.deep.equal([...acct.creativeIds].sort());
      expect([...rounds[1]!].sort()).to.deep.equal([throttled, failing].sort());
      expect(plainNodeGets(calls).map((c) => c.path)).to.deep.equal([`/${timedOut}`]);
      expect(plainNodeGets(calls)[0]!.params.get('fields')).to.equal(new URLSearchParams(batchItems(batchPosts(calls)[0]!)[0]!.relative_url.split('?')[1]).get('fields'));

      const stats = rig.sb.stats();
      expect(stats.faultsFired).to.include({ timeout: 1, throttle: 1, http_500: 1 });
      const log = r.records('sync_log')[0]!;
      expect(log['throttles'], 'the throttled item counts like a throttled call').to.equal(1);
      expect(log['retries'], 'three items sent again').to.equal(3);
      expect(log['status']).to.equal('ok');
    });

    it('gives up on an item that keeps failing after max_retries, and fails the account as a plain read would', async () => {
      const failing = acct.creativeIds[2]!;
      rig.sb.deleteCreativePost(acct.creativeIds[0]!);
      rig.sb.faults.add({ kind: 'http_503', path: `^/${failing}$` });
      const mark = rig.rec.calls.length;
      const r = await runTap({ now: rig.sb.now(), config: tapConfig(rig.sb, rig.rec.baseUrl, { max_retries: 2 }), catalog: catalogSelecting(['ad_creatives', 'sync_log']), args: ['--account', acct.accountId], dir: rig.tmp.dir });
      restore(rig.sb, [acct.creativeIds[0]!]);
      const rounds = batchPosts(rig.rec.calls.slice(mark)).map((p) => batchItems(p).length);
      expect(rounds, 'all, then the failing item twice').to.deep.equal([acct.creativeIds.length, 1, 1]);
      expect(r.code, 'the only account failed transiently: retry later').to.equal(7);
      const log = r.records('sync_log')[0]!;
      expect(log['status']).to.equal('failed');
      expect(log['error_class']).to.equal('transient');
    });
  });

  describe('a field Meta withdraws between the id listing and the batched reads', () => {
    const rig = {} as { sb: Sandbox; rec: Recorder; tmp: ReturnType<typeof tempDir> };
    after(() => closeTapRig(rig));

    it("drops the field named by the items' answer, asks the batch again without it, and emits every readable creative with it null", async () => {
      rig.sb = await startSandbox({ world: 'small', today: TEST_TODAY });
      const acct = [...rig.sb.world.accounts].sort((a, b) => b.creativeIds.length - a.creativeIds.length)[0]!;
      const listing = `/act_${acct.accountId}/adcreatives`;
      rig.rec = await recordingProxy(rig.sb.baseUrl, (call) => {
        if (call.path === listing && call.params.get('fields') === '["id"]') rig.sb.withdrawField('AdCreative', 'title');
      });
      rig.tmp = tempDir();
      const broken = acct.creativeIds[0]!;
      rig.sb.deleteCreativePost(broken);
      const r = await runTap({ now: rig.sb.now(), config: tapConfig(rig.sb, rig.rec.baseUrl), catalog: catalogSelecting(['ad_creatives', 'sync_log']), args: ['--account', acct.accountId], dir: rig.tmp.dir });
      expect(r.code, r.stderr.slice(-1500)).to.equal(0);
      const rows = r.records('ad_creatives');
      expect(rows.map((c) => String(c['id'])).sort()).to.deep.equal(acct.creativeIds.filter((id) => id !== broken).sort());
      for (const c of rows) expect(c['title'], String(c['id'])).to.equal(null);
      const batches = batchPosts(rig.rec.calls).map((p) => batchItems(p).map((i) => JSON.parse(new URLSearchParams(i.relative_url.split('?')[1]).get('fields') ?? '[]') as string[]));
      expect(batches, 'the batch, then the same batch without the field').to.have.length(2);
      expect(batches[0]!.every((f) => f.includes('title'))).to.equal(true);
      expect(batches[1]!.some((f) => f.includes('title'))).to.equal(false);
      expect(skippedObjects(r)).to.deep.equal([`creative ${broken}`]);
      const summary = r.logs().find((l) => l['type'] === 'summary')!;
      expect((summary['withdrawn_fields'] as Array<Record<string, unknown>>).map((w) => `${String(w['stream'])}.${String(w['field'])}`)).to.deep.equal(['ad_creatives.title']);
    });
  });
});
