// The tap's orchestration (connector/tap/sync.ts) in-process, with an injected fake Graph port: a new
// stream declared in a test flows through discovery, sync and the target's loader; an account that
// fails is isolated; creatives follow the ads read before them; assets carry their computed columns.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ConnectorError } from '../../../connector/core/errors.js';
import { Logger } from '../../../connector/core/log.js';
import type { Catalog } from '../../../connector/singer/catalog.js';
import type { SingerMessage } from '../../../connector/singer/messages.js';
import { emptyState, type TapState } from '../../../connector/singer/state.js';
import { validateTapConfig } from '../../../connector/tap/config.js';
import { discover } from '../../../connector/tap/discover.js';
import { TAP_STREAMS, type EntityStream, type TapStream } from '../../../connector/tap/streams.js';
import { runSync, selectStreams, type SyncSummary } from '../../../connector/tap/sync.js';
import { DuckDbDestination } from '../../../connector/target/duckdb/destination.js';
import { Loader } from '../../../connector/target/loader.js';
import { fakeWithAccounts, type FakeGraphPort } from './fake-graph-port.js';

/** The run's clock is pinned: nothing depends on the day the test runs. */
const NOW = new Date('2026-03-10T12:00:00Z');
const quiet = (): Logger => new Logger({ component: 'tap-test', level: 'error', sink: { write: () => true } });
const ACCOUNTS = [
  { account_id: '111', name: 'Shop US', currency: 'USD', timezone_name: 'America/New_York' },
  { account_id: '222', name: 'Shop JP', currency: 'JPY', timezone_name: 'Asia/Tokyo' },
];

function catalogSelecting(streams: readonly string[], registry: readonly TapStream[] = TAP_STREAMS): Catalog {
  const c = discover(undefined, registry);
  for (const e of c.streams) e.metadata[0]!.metadata['selected'] = streams.includes(e.stream);
  return c;
}

interface Run {
  summary: SyncSummary;
  messages: SingerMessage[];
  records(stream: string): Array<Record<string, unknown>>;
}

async function sync(graph: FakeGraphPort, catalog: Catalog, opts: { state?: TapState; streams?: readonly TapStream[]; log?: Logger; startDate?: string; narrowedTo?: string } = {}): Promise<Run> {
  const messages: SingerMessage[] = [];
  const { config } = validateTapConfig({ access_token: 'fake_token_0123456789', start_date: opts.startDate ?? '2026-03-01', ...(opts.narrowedTo ? { account_ids: [opts.narrowedTo] } : {}) });
  const summary = await runSync({
    config,
    graph,
    log: opts.log ?? quiet(),
    write: async (m) => void messages.push(m),
    catalog,
    state: opts.state ?? emptyState(),
    clock: () => NOW,
    sleep: async () => undefined,
    runId: 'run-1',
    ...(opts.streams ? { streams: opts.streams } : {}),
    ...(opts.narrowedTo ? { narrowedBy: '--account' } : {}),
  });
  return { summary, messages, records: (s) => messages.flatMap((m) => (m.type === 'RECORD' && m.stream === s ? [m.record] : [])) };
}

describe('tap orchestration in-process (fake Graph port)', () => {
  describe('a stream added by one declaration and one schema file', () => {
    let dir: string;
    let registry: TapStream[];
    before(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'new-stream-'));
      // Ad labels (GET act_<id>/adlabels) are a real Marketing API edge the tap does not ship.
      writeFileSync(
        path.join(dir, 'ad_labels.json'),
        JSON.stringify({
          type: 'object',
          additionalProperties: false,
          required: ['id', 'account_id', '_sdc_extracted_at'],
          properties: {
            id: { type: 'string' },
            account_id: { type: 'string' },
            name: { type: ['null', 'string'] },
            created_time: { type: ['null', 'string'], format: 'date-time' },
            updated_time: { type: ['null', 'string'], format: 'date-time' },
            _sdc_extracted_at: { type: 'string', format: 'date-time' },
          },
        }),
      );
      const adLabels: EntityStream = {
        name: 'ad_labels',
        kind: 'entity',
        schemaFile: path.join(dir, 'ad_labels'),
        keyProperties: ['id'],
        replicationMethod: 'INCREMENTAL',
        replicationKey: 'updated_time',
        edge: 'adlabels',
        objectName: 'ad label',
        filterPrefix: 'adlabel',
        allStatuses: ['ACTIVE', 'DELETED'],
        serverSideIncremental: false,
        computed: [],
        minorUnitFields: [],
        docs: 'https://developers.facebook.com/docs/marketing-api/reference/ad-label/',
      };
      registry = [...TAP_STREAMS, adLabels];
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('is discovered, synced per account with its own bookmark, and loaded into a warehouse table', async () => {
      const entry = discover(undefined, registry).streams.find((s) => s.stream === 'ad_labels');
      expect(entry, 'catalog entry').to.not.equal(undefined);
      expect([entry!.key_properties, entry!.replication_key, entry!.replication_method]).to.deep.equal([['id'], 'updated_time', 'INCREMENTAL']);

      const graph = fakeWithAccounts(ACCOUNTS);
      graph.edges.set('act_111/adlabels', [
        { id: '9001', name: 'summer', created_time: '2026-03-02T10:00:00+0000', updated_time: '2026-03-05T10:00:00+0000' },
        { id: '9002', name: 'winter', created_time: '2026-03-03T10:00:00+0000', updated_time: '2026-03-06T10:00:00+0000' },
      ]);
      graph.edges.set('act_222/adlabels', [{ id: '9003', name: 'sale', created_time: '2026-03-04T10:00:00+0000', updated_time: '2026-03-04T11:00:00+0000' }]);
      const run = await sync(graph, catalogSelecting(['ad_accounts', 'ad_labels', 'sync_log'], registry), { streams: registry });

      expect(run.summary.exitCode).to.equal(0);
      const fields = graph.calls.find((c) => c.path === 'act_111/adlabels')!.params['fields'] as string[];
      expect([...fields].sort()).to.deep.equal(['account_id', 'created_time', 'id', 'name', 'updated_time']);
      expect(run.records('ad_labels').map((r) => [r['id'], r['account_id'], r['updated_time']])).to.have.deep.members([
        ['9001', '111', '2026-03-05T10:00:00Z'],
        ['9002', '111', '2026-03-06T10:00:00Z'],
        ['9003', '222', '2026-03-04T11:00:00Z'],
      ]);
      // The newest object seen is remembered with the bookmark: the next read (at or after it) returns it again unchanged.
      expect(run.summary.state.bookmarks['ad_labels']).to.deep.equal({
        '111': { updated_time: '2026-03-06T10:00:00Z', boundary: { '9002': '2026-03-06T10:00:00Z' } },
        '222': { updated_time: '2026-03-04T11:00:00Z', boundary: { '9003': '2026-03-04T11:00:00Z' } },
      });

      const destination = new DuckDbDestination({ path: path.join(dir, 'warehouse.duckdb'), dataset: 'facebook_ads' });
      await destination.open();
      try {
        const loader = new Loader({ config: { batch_rows: 1000, batch_bytes: 1 << 24, batch_seconds: 300, history: true, validate_records: true }, destination, log: quiet(), emitState: async () => undefined, now: () => NOW });
        const lines = run.messages.map((m) => JSON.stringify(m) + '\n');
        const loaded = await loader.run(Readable.from(lines));
        expect(loaded.records['ad_labels']).to.equal(3);
        const rows = await destination.query('SELECT id, account_id, name FROM facebook_ads.ad_labels ORDER BY id');
        expect(rows).to.deep.equal([
          { id: '9001', account_id: '111', name: 'summer' },
          { id: '9002', account_id: '111', name: 'winter' },
          { id: '9003', account_id: '222', name: 'sale' },
        ]);
      } finally {
        await destination.close();
      }
    });
  });

  it('isolates an account whose read fails: the other completes, exit 5, sync_log says why, its bookmark does not move', async () => {
    const graph = fakeWithAccounts(ACCOUNTS);
    graph.edges.set('act_111/campaigns', [{ id: '1', account_id: '111', name: 'c1', created_time: '2026-03-02T00:00:00+0000', updated_time: '2026-03-02T00:00:00+0000' }]);
    graph.failures.set('act_222/campaigns', new ConnectorError('permission', '(#200) no access to ad account 222', { hint: 'Assign the account to the system user.' }));
    const run = await sync(graph, catalogSelecting(['ad_accounts', 'campaigns', 'sync_log']));

    expect(run.summary.exitCode).to.equal(5);
    expect(run.summary.failed.map((f) => [f.accountId, f.kind])).to.deep.equal([['222', 'permission']]);
    expect(Object.keys(run.summary.state.bookmarks['campaigns'] ?? {})).to.deep.equal(['111']);
    const log = new Map(run.records('sync_log').map((r) => [r['account_id'], r]));
    expect([log.get('111')?.['status'], log.get('222')?.['status'], log.get('222')?.['error_class'], log.get('222')?.['hint']]).to.deep.equal(['ok', 'failed', 'permission', 'Assign the account to the system user.']);
  });

  it('names --account in the hint when the account a run was narrowed to is reachable by no token', async () => {
    const graph = fakeWithAccounts(ACCOUNTS);
    graph.failures.set('act_999999', new ConnectorError('permission', '(#100) Object with ID act_999999 does not exist'));
    const run = await sync(graph, catalogSelecting(['ad_accounts', 'campaigns', 'sync_log']), { narrowedTo: '999999' });
    const row = run.records('sync_log').find((r) => r['account_id'] === '999999');
    expect(row?.['status']).to.equal('failed');
    expect(row?.['hint']).to.include('or check the id given as --account').and.not.include('config.account_ids');
  });

  it('re-reads, on the next run, only the creatives of ads changed since the ads bookmark, by id', async () => {
    const graph = fakeWithAccounts(ACCOUNTS.slice(0, 1));
    const ad = (id: string, creative: string, updated: string) => ({ id, account_id: '111', name: id, creative: { id: creative }, created_time: '2026-03-01T00:00:00+0000', updated_time: updated });
    graph.edges.set('act_111/ads', [ad('a1', 'cr1', '2026-03-02T00:00:00+0000'), ad('a2', 'cr2', '2026-03-03T00:00:00+0000')]);
    graph.edges.set('act_111/adcreatives', [
      { id: 'cr1', account_id: '111', name: 'one' },
      { id: 'cr2', account_id: '111', name: 'two' },
    ]);
    const catalog = catalogSelecting(['ad_accounts', 'ads', 'ad_creatives']);
    const first = await sync(graph, catalog);
    expect(first.records('ad_creatives').map((r) => r['id'])).to.deep.equal(['cr1', 'cr2']);
    expect(first.summary.state.bookmarks['ad_creatives']?.['111']).to.deep.equal({ ads_updated_time: '2026-03-03T00:00:00Z' });

    graph.calls.length = 0;
    graph.edges.set('act_111/ads', [ad('a1', 'cr1', '2026-03-02T00:00:00+0000'), ad('a2', 'cr2', '2026-03-08T00:00:00+0000')]);
    graph.objects.set('cr2', { id: 'cr2', account_id: '111', name: 'two, edited' });
    const second = await sync(graph, catalog, { state: first.summary.state });
    expect(second.records('ads').map((r) => r['id'])).to.deep.equal(['a2']);
    expect(second.records('ad_creatives').map((r) => [r['id'], r['name']])).to.deep.equal([['cr2', 'two, edited']]);
    expect(graph.accountPaths()).to.deep.equal(['act_111/ads', 'cr2']);
    expect(second.summary.state.bookmarks['ad_creatives']?.['111']).to.deep.equal({ ads_updated_time: '2026-03-08T00:00:00Z' });
  });

  it('reports http_request_count per account and for the calls outside any (discovery) as Singer metrics', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = new Logger({ component: 'tap-test', level: 'info', sink: { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) } });
    const graph = fakeWithAccounts(ACCOUNTS);
    graph.edges.set('act_111/campaigns', []);
    graph.edges.set('act_222/campaigns', []);
    await sync(graph, catalogSelecting(['ad_accounts', 'campaigns']), { log });
    const metrics = lines.filter((l) => l['type'] === 'metric' && l['metric'] === 'http_request_count').map((l) => [(l['tags'] as Record<string, unknown>)['account_id'] ?? null, l['value']]);
    const perAccount = (id: string): number => graph.calls.filter((c) => c.accountId === id).length;
    expect(metrics).to.have.deep.members([
      ['111', perAccount('111')],
      ['222', perAccount('222')],
      [null, graph.calls.length - perAccount('111') - perAccount('222')],
    ]);
    expect(perAccount('111')).to.equal(1);
  });

  it('warns of catalog edits the tap does not follow — a property the stream lacks, another key — and of nothing in the catalog --discover wrote', () => {
    const { config } = validateTapConfig({ access_token: 'fake_token_0123456789' });
    const warnings: { msg: string; fields: Record<string, unknown> | undefined }[] = [];
    const log = { warn: (msg: string, fields?: Record<string, unknown>) => void warnings.push({ msg, fields }) };
    const catalog = discover();
    selectStreams(config, catalog, undefined, log);
    expect(warnings).to.deep.equal([]);
    const campaigns = catalog.streams.find((s) => s.tap_stream_id === 'campaigns')!;
    (campaigns.schema['properties'] as Record<string, unknown>)['spend_typo'] = { type: ['null', 'string'] };
    campaigns.metadata.push({ breadcrumb: ['properties', 'spend_typo'], metadata: { selected: true } });
    campaigns.key_properties = ['name'];
    const selected = selectStreams(config, catalog, undefined, log);
    expect(selected.get('campaigns')!.fields).to.not.include('spend_typo');
    expect(warnings.map((w) => w.msg)).to.deep.equal(['the catalog selects properties stream "campaigns" does not have, ignored: spend_typo', 'the catalog gives stream "campaigns" the key (name); the tap keys it by (id) whatever the catalog says']);
    expect(warnings[0]!.fields?.['hint']).to.match(/--discover/);
  });

  it('syncs every stream of the discovered catalog passed back unchanged (selected-by-default), and keeps the automatic columns a catalog deselects', () => {
    const { config } = validateTapConfig({ access_token: 'fake_token_0123456789' });
    const catalog = discover();
    expect([...selectStreams(config, catalog).keys()]).to.deep.equal(catalog.streams.map((s) => s.tap_stream_id));
    const campaigns = catalog.streams.find((s) => s.tap_stream_id === 'campaigns')!;
    for (const m of campaigns.metadata) if (m.breadcrumb.length === 2) m.metadata['selected'] = false;
    expect(selectStreams(config, catalog).get('campaigns')!.fields).to.have.members(['id', 'updated_time', '_sdc_extracted_at']);
    // dbt's spend coverage is built from the days read and the account's day: a user cannot deselect them.
    const coverage = catalog.streams.find((s) => s.tap_stream_id === 'insights_coverage')!;
    const automatic = coverage.metadata.filter((m) => m.breadcrumb.length === 2 && m.metadata['inclusion'] === 'automatic').map((m) => m.breadcrumb[1]);
    expect(automatic).to.include.members(['date_start', 'date_stop', 'account_today']);
    for (const m of coverage.metadata) if (m.breadcrumb.length === 2) m.metadata['selected'] = false;
    expect(selectStreams(config, catalog).get('insights_coverage')!.fields).to.have.members(['run_id', 'account_id', 'stream', 'date_start', 'date_stop', 'account_today', '_sdc_extracted_at']);
  });

  it('warns that nothing will be read when the catalog selects no stream (a valid, empty run)', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = new Logger({ component: 'tap-test', level: 'warn', sink: { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) } });
    const state: TapState = { bookmarks: { campaigns: { '111': { updated_time: '2026-03-01T00:00:00Z' } } } };
    const run = await sync(fakeWithAccounts(ACCOUNTS), catalogSelecting([]), { log, state });
    expect(run.summary.exitCode).to.equal(0);
    expect(lines.filter((l) => l['level'] === 'warn').map((l) => l['msg'])).to.include('the catalog selects no stream: nothing will be read');
    // Like a Meltano SDK tap: no SCHEMA or RECORD, the incoming state handed on unchanged (README "Streams").
    expect(run.messages).to.deep.equal([{ type: 'STATE', value: state }]);
  });

  it('warns when the catalog selects insights but not insights_coverage, the days read the CAC models count on', async () => {
    const warned = async (streams: string[]): Promise<unknown[]> => {
      const lines: Array<Record<string, unknown>> = [];
      const log = new Logger({ component: 'tap-test', level: 'warn', sink: { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) } });
      await sync(fakeWithAccounts(ACCOUNTS), catalogSelecting(streams), { log });
      return lines.filter((l) => /insights_coverage/.test(String(l['msg']))).map((l) => l['msg']);
    };
    expect(await warned(['insights_account', 'insights_campaign'])).to.deep.equal(['the catalog selects insights_account, insights_campaign but not insights_coverage: the dbt models will count none of the days read as covered, so CAC stays undefined ("—") for every month']);
    expect(await warned(['insights_campaign', 'insights_coverage'])).to.deep.equal([]);
    expect(await warned(['campaigns'])).to.deep.equal([]);
  });

  it('warns once that no insights are read when start_date is after today everywhere (a mistyped year)', async () => {
    const warnings = async (startDate: string): Promise<unknown[]> => {
      const lines: Array<Record<string, unknown>> = [];
      const log = new Logger({ component: 'tap-test', level: 'warn', sink: { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) } });
      const run = await sync(fakeWithAccounts(ACCOUNTS), catalogSelecting(['insights_account']), { log, startDate });
      expect(run.records('insights_account')).to.deep.equal([]);
      return lines.filter((l) => l['level'] === 'warn' && /start_date/.test(String(l['msg']))).map((l) => l['msg']);
    };
    // NOW is 2026-03-10T12:00Z: 2026-03-11 has begun in UTC+14, 2026-03-12 has begun nowhere.
    expect(await warnings('2027-03-01')).to.deep.equal(['config.start_date 2027-03-01 is after today (2026-03-11 in the earliest time zone): no insights are read until that day']);
    expect(await warnings('2026-03-11')).to.deep.equal([]);
  });

  it('emits asset rows with their declared computed columns and activates the version they carry', async () => {
    const run = await sync(fakeWithAccounts(ACCOUNTS), catalogSelecting(['ad_accounts']));
    const rows = run.records('ad_accounts').map((r) => [r['account_id'], r['id'], r['access']]);
    expect(rows).to.deep.equal([
      ['111', 'act_111', [{ business_id: null, relation: 'assigned', token_label: 'default' }]],
      ['222', 'act_222', [{ business_id: null, relation: 'assigned', token_label: 'default' }]],
    ]);
    const versions = run.messages.flatMap((m) => (m.type === 'RECORD' && m.stream === 'ad_accounts' ? [m.version] : []));
    const activate = run.messages.filter((m) => m.type === 'ACTIVATE_VERSION');
    expect(activate.map((m) => [m.stream, m.version])).to.deep.equal([['ad_accounts', versions[0]]]);
  });
});
