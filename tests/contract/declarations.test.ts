// The contract suite: loops over every declaration in tap/streams.ts and tap/insights.ts (plus
// sync_log) and checks each against its schema, so a new stream is covered without a new test.
import { expect } from 'chai';
import { newAjv } from '../../connector/core/config.js';
import { ASSET_STREAMS, ENTITY_STREAMS, TAP_STREAMS, SYNC_LOG_STREAM, computedColumns, requestFields } from '../../connector/tap/streams.js';
import { INSIGHTS_COMPUTED, INSIGHTS_REPORTS, LEVEL_ID, insightsKey, insightsRequestFields, reportSchema, reportsFor, type InsightsReport } from '../../connector/tap/insights.js';
import { DECIMAL_FORMAT, addTapFormats, breakdownProperties, loadStreamSchema, propertiesOf } from '../../connector/tap/schemas.js';
import { describeStreams } from '../../connector/tap/discover.js';
import { validateTapConfig } from '../../connector/tap/config.js';

type Prop = Record<string, unknown>;
const typesOf = (p: Prop): string[] => ([] as string[]).concat((p['type'] as string | string[] | undefined) ?? []);

function compile(schema: Record<string, unknown>) {
  const ajv = newAjv();
  addTapFormats(ajv);
  return ajv.compile(schema);
}

/** Every decimal column, wherever it sits, must look the same (the target maps the shape to NUMERIC). */
function decimalsIn(node: unknown, path: string, out: Array<[string, Prop]>): void {
  if (!node || typeof node !== 'object') return;
  const p = node as Prop;
  if (p['format'] === DECIMAL_FORMAT) out.push([path, p]);
  for (const [k, v] of Object.entries(p)) if (v && typeof v === 'object') decimalsIn(v, `${path}.${k}`, out);
}

const customReports: InsightsReport[] = reportsFor(
  validateTapConfig({
    access_token: 'sbx_contract_0123456789',
    insights_reports: [
      { name: 'insights_ad_age_gender', level: 'ad', breakdowns: ['age', 'gender'] },
      { name: 'insights_campaign_platform', level: 'campaign', breakdowns: ['publisher_platform', 'platform_position'], action_breakdowns: [] },
      { name: 'insights_account_spend', level: 'account', fields: ['spend', 'impressions'] },
    ],
  }).config,
).filter((r) => !r.builtIn);

describe('contract: every entity and asset stream declaration', () => {
  for (const s of TAP_STREAMS) {
    describe(`stream ${s.name}`, () => {
      const schema = loadStreamSchema(s.schemaFile);
      const props = propertiesOf(schema);

      it('has a schema file named after the stream that compiles', () => {
        expect(s.schemaFile).to.equal(s.name);
        expect(() => compile(schema)).to.not.throw();
      });

      it('declares key properties that are required string properties of the schema', () => {
        for (const k of s.keyProperties) {
          expect(props, k).to.have.property(k);
          expect(schema['required'], k).to.include(k);
          expect(typesOf(props[k]!)).to.include('string');
        }
      });

      it('carries _sdc_extracted_at and keeps every id column a string', () => {
        expect(props['_sdc_extracted_at']).to.include({ format: 'date-time' });
        for (const [name, p] of Object.entries(props)) {
          // timezone_id is Meta's small numeric zone code, not an object id.
          if ((name === 'id' || name.endsWith('_id')) && name !== 'timezone_id') expect(typesOf(p), name).to.deep.equal(typesOf(p).filter((t) => t === 'string' || t === 'null'));
        }
      });

      it('has a major-unit decimal and a raw _minor decimal for every minor-unit money field', () => {
        for (const f of s.minorUnitFields) {
          expect(props[f], f).to.include({ format: DECIMAL_FORMAT });
          expect(props[`${f}_minor`], `${f}_minor`).to.include({ format: DECIMAL_FORMAT });
        }
      });

      it('computes only columns its schema has and requests the rest', () => {
        for (const c of computedColumns(s)) expect(props, c).to.have.property(c);
        const fields = requestFields(s, Object.keys(props));
        expect(fields).to.include('id');
        expect(fields.some((f) => f.startsWith('_sdc_') || f.endsWith('_minor'))).to.equal(false);
      });

      if (s.kind === 'entity' && s.replicationKey) {
        it('replicates on a date-time column of its schema', () => {
          expect(props[s.replicationKey!]).to.include({ format: 'date-time' });
        });
      }
    });
  }

  it('lists ARCHIVED and DELETED among the statuses every entity asks for when include_deleted is on', () => {
    for (const e of ENTITY_STREAMS) expect(e.allStatuses, e.name).to.include('DELETED');
    for (const e of ENTITY_STREAMS.filter((x) => x.name !== 'ad_creatives')) expect(e.allStatuses, e.name).to.include('ARCHIVED');
  });

  it('reads a stream incrementally via another only when that one is declared before it with a link field', () => {
    for (const [i, e] of ENTITY_STREAMS.entries()) {
      if (e.incrementalVia === undefined) continue;
      const via = ENTITY_STREAMS.findIndex((x) => x.name === e.incrementalVia);
      expect(via, e.name).to.be.within(0, i - 1);
      expect(ENTITY_STREAMS[via]!.linkField, e.incrementalVia).to.be.a('string');
      expect(propertiesOf(loadStreamSchema(ENTITY_STREAMS[via]!.schemaFile)), e.incrementalVia).to.have.property(ENTITY_STREAMS[via]!.linkField!);
    }
  });

  it('names as status children only entity streams read after their parent', () => {
    const names = ENTITY_STREAMS.map((e) => e.name);
    for (const [i, e] of ENTITY_STREAMS.entries()) for (const c of e.statusChildren ?? []) expect(names.indexOf(c), `${e.name} → ${c}`).to.be.greaterThan(i);
  });

  it('gives an asset stream with a Graph id prefix a single key column besides id', () => {
    for (const a of ASSET_STREAMS.filter((x) => x.graphIdPrefix !== undefined)) {
      expect(a.keyProperties, a.name).to.have.length(1);
      expect(a.keyProperties[0], a.name).to.not.equal('id');
      expect(propertiesOf(loadStreamSchema(a.schemaFile)), a.name).to.have.property('id');
    }
  });

  it('activates every asset stream as a full-table version', () => {
    for (const a of ASSET_STREAMS) expect([a.replicationMethod, a.activateVersion]).to.deep.equal(['FULL_TABLE', true]);
  });
});

describe('contract: every insights report declaration', () => {
  for (const r of [...INSIGHTS_REPORTS, ...customReports]) {
    describe(`report ${r.name}`, () => {
      const schema = reportSchema(r);
      const props = propertiesOf(schema);

      it('compiles and has its derived key as required properties', () => {
        expect(() => compile(schema)).to.not.throw();
        const key = insightsKey(r.level, r.breakdowns);
        expect(key[0]).to.equal(LEVEL_ID[r.level]);
        for (const k of key) {
          expect(props, k).to.have.property(k);
          expect(schema['required'], k).to.include(k);
        }
      });

      it('records account currency, attribution windows and extraction time in every row', () => {
        for (const c of ['account_currency', 'attribution_windows', '_sdc_extracted_at', 'account_id', 'date_start']) expect(props, c).to.have.property(c);
        expect(schema['required']).to.include('attribution_windows');
      });

      it('never sends computed or breakdown columns in fields=', () => {
        const fields = insightsRequestFields(r, Object.keys(props));
        for (const c of [...INSIGHTS_COMPUTED, ...r.breakdowns]) expect(fields).to.not.include(c);
        expect(fields.some((f) => f.startsWith('_sdc_'))).to.equal(false);
      });

      it('takes breakdown columns from the shared fragment', () => {
        const known = breakdownProperties();
        for (const b of r.breakdowns) expect(props[b]).to.deep.equal(known[b]);
      });
    });
  }

  it('gives all four levels the same metric columns', () => {
    const metrics = (level: string) => Object.keys(propertiesOf(loadStreamSchema(`insights_${level}`))).filter((k) => !/_(id|name)$/.test(k));
    for (const l of ['campaign', 'adset', 'ad']) expect(metrics(l), l).to.deep.equal(metrics('account'));
  });
});

describe('contract: schema conventions across all streams', () => {
  it('spells every decimal the same way (nullable string, singer.decimal, plain-decimal pattern)', () => {
    const found: Array<[string, Prop]> = [];
    for (const d of describeStreams()) decimalsIn(d.schema, d.name, found);
    expect(found.length).to.be.greaterThan(50);
    const shapes = new Set(found.map(([, p]) => JSON.stringify({ type: p['type'], pattern: p['pattern'] })));
    expect([...shapes]).to.deep.equal([JSON.stringify({ type: ['null', 'string'], pattern: '^-?[0-9]+(\\.[0-9]+)?$' })]);
  });

  it('has sync_log keyed by run and account with per-stream counts and call stats', () => {
    const schema = loadStreamSchema(SYNC_LOG_STREAM.schemaFile);
    const props = propertiesOf(schema);
    for (const c of ['run_id', 'account_id', 'started_at', 'finished_at', 'status', 'streams', 'api_calls', 'throttles', 'retries', 'error_class', 'hint']) expect(props, c).to.have.property(c);
    expect(SYNC_LOG_STREAM.keyProperties).to.deep.equal(['run_id', 'account_id']);
    expect(() => compile(schema)).to.not.throw();
  });

  it('gives every stream a unique name', () => {
    const names = describeStreams().map((d) => d.name);
    expect(new Set(names).size).to.equal(names.length);
  });
});
