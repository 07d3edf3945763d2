// RECORD lines are validated when their batch closes, not as they are read (loader.ts). A bad line
// must still stop the run as if it had been checked on arrival: the error names the earliest bad
// line of the whole input, and nothing read after it — other streams' rows, an ACTIVATE_VERSION —
// reaches the warehouse. (Found by a fresh-eyes run of the new path, 2026-11-30.)
import { expect } from 'chai';
import { KINDS, openWarehouse, runLoader, type Warehouse } from './harness.js';

const schema = (stream: string): string => JSON.stringify({ type: 'SCHEMA', stream, schema: { type: 'object', properties: { id: { type: 'string' } } }, key_properties: ['id'] });
const rec = (stream: string, id: unknown, version?: number): string => JSON.stringify({ type: 'RECORD', stream, record: { id }, ...(version !== undefined ? { version } : {}) });
const lines = (...l: string[]): string => l.join('\n') + '\n';

for (const kind of KINDS) {
  describe(`the first bad line stops the run on ${kind}`, function () {
    this.timeout(60000);
    let w: Warehouse;
    beforeEach(async () => {
      w = await openWarehouse(kind);
    });
    afterEach(async () => w.close());

    it('names the earliest bad line when a later one, in another stream, is bad too', async () => {
      const r = await runLoader(w, lines(schema('a'), schema('b'), rec('b', 3), rec('a', 4)));
      expect(r.error?.message).to.match(/^line 3: stream "b": record does not match its SCHEMA/);
    });

    it('names a bad RECORD waiting in its batch before a later line that fails as it is read', async () => {
      const r = await runLoader(w, lines(schema('a'), rec('a', '1'), rec('a', 2), rec('zz', '1')));
      expect(r.error?.message).to.match(/^line 3: stream "a": record does not match its SCHEMA/);
    });

    it('commits no other stream’s rows read after the bad line', async () => {
      const r = await runLoader(w, lines(schema('a'), schema('b'), rec('b', 3), rec('a', 'ok'), rec('a', 'ok2'), JSON.stringify({ type: 'STATE', value: { at: 5 } })), { batch_rows: 2 });
      expect(r.error?.message).to.match(/^line 3: /);
      expect(r.states).to.deep.equal([]);
      expect(await w.rows('a')).to.deep.equal([]);
    });

    it('applies no ACTIVATE_VERSION read after the bad line', async () => {
      expect((await runLoader(w, lines(schema('a'), schema('b'), rec('b', 'old', 1), JSON.stringify({ type: 'ACTIVATE_VERSION', stream: 'b', version: 1 })))).error).to.equal(undefined);
      const r = await runLoader(w, lines(schema('a'), schema('b'), rec('a', 1), rec('b', 'new', 2), JSON.stringify({ type: 'ACTIVATE_VERSION', stream: 'b', version: 2 })));
      expect(r.error?.message).to.match(/^line 3: stream "a"/);
      const b = await w.rows('b', ['id']);
      expect(b.map((x) => [x['id'], x['_sdc_deleted_at'] ?? null])).to.deep.equal([['old', null]]);
      expect(await w.activatedVersion('b')).to.equal(1n);
    });
  });
}
