// The recorded key of a table (table-key.ts): one fingerprint for every order of the key columns,
// the records earlier versions wrote (a hash of the columns in the order listed) still matched,
// and BigQuery's column labels written and read back within the label rules.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { isCurrentRecord, isRecordedKey, keyChange, keyColumnLabels, keyColumnsFromLabels, keyFingerprint } from '../../../connector/target/table-key.js';

const ordered = (columns: string[]): string => createHash('sha256').update(JSON.stringify(columns)).digest('hex').slice(0, 32);
const TEN = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9'];

describe('table key records', () => {
  it('fingerprints a key of any length the same in every order, as the hash an earlier version took of it listed sorted', () => {
    expect(keyFingerprint([...TEN].reverse()))
      .to.equal(keyFingerprint(TEN))
      .and.to.equal(ordered(TEN))
      .and.to.match(/^[0-9a-f]{32}$/);
    expect(keyFingerprint(['b', 'a'])).to.not.equal(keyFingerprint(['a', 'b', 'c']));
    expect(isRecordedKey({ fingerprint: keyFingerprint(TEN), columns: TEN }, [...TEN].reverse())).to.equal(true);
  });

  it("matches an earlier version's record: with its columns in any order and length, without them in any order up to 8 columns and in its own order beyond", () => {
    const eight = TEN.slice(0, 8);
    expect(isRecordedKey({ fingerprint: ordered([...TEN].reverse()), columns: [...TEN].reverse() }, TEN)).to.equal(true);
    expect(isRecordedKey({ fingerprint: ordered([...eight].reverse()) }, eight)).to.equal(true);
    expect(isRecordedKey({ fingerprint: ordered([...TEN].reverse()) }, [...TEN].reverse())).to.equal(true);
    expect(isRecordedKey({ fingerprint: ordered([...TEN].reverse()) }, TEN)).to.equal(false);
    expect(isRecordedKey({ fingerprint: ordered([...eight].reverse()) }, [...eight.slice(1), 'k9'])).to.equal(false);
    expect([isCurrentRecord({ fingerprint: ordered(['b', 'a']), columns: ['b', 'a'] }), isCurrentRecord({ fingerprint: keyFingerprint(['b', 'a']) }), isCurrentRecord({ fingerprint: keyFingerprint(['b', 'a']), columns: ['b', 'a'] })]).to.deep.equal([false, false, true]);
  });

  it('says which columns were added and removed, and trusts recorded columns only when the fingerprint is theirs', () => {
    expect(keyChange({ fingerprint: keyFingerprint(['ad_id', 'date_start']), columns: ['ad_id', 'date_start'] }, ['date_start', 'age'])).to.deep.equal({ recorded: '(ad_id, date_start)', change: 'age added, ad_id removed' });
    expect(keyChange({ fingerprint: keyFingerprint(['ad_id']), columns: ['ad_id'] }, [])).to.deep.equal({ recorded: '(ad_id)', change: 'ad_id removed' });
    expect(isRecordedKey({ fingerprint: keyFingerprint(['x']), columns: ['ad_id'] }, ['ad_id'])).to.equal(false);
    expect(keyChange({ fingerprint: keyFingerprint(['x']), columns: ['ad_id'] }, ['ad_id']).change).to.equal('it is not these columns in any order');
  });

  it('writes the columns into BigQuery labels of at most 63 characters, removes stale ones, and reads them back', () => {
    const long = ['a'.repeat(100), 'b_1', 'c'];
    const labels = keyColumnLabels(long, { sdc_key_columns_0: 'x', sdc_key_columns_1: 'y', sdc_key_columns_2: 'z', sdc_key_columns_3: 'w', other: 'kept' });
    expect(labels).to.deep.equal({ sdc_key_columns_0: 'a'.repeat(63), sdc_key_columns_1: `${'a'.repeat(37)}-b_1-c`, sdc_key_columns_2: null, sdc_key_columns_3: null });
    for (const v of Object.values(labels)) if (v !== null) expect(v).to.match(/^[a-z0-9_-]{0,63}$/);
    expect(keyColumnsFromLabels({ sdc_key: 'f', sdc_key_columns_0: 'a'.repeat(63), sdc_key_columns_1: `${'a'.repeat(37)}-b_1-c` })).to.deep.equal(long);
    expect(keyColumnsFromLabels(keyColumnLabels([]) as Record<string, string>)).to.deep.equal([]);
    expect(keyColumnsFromLabels({ sdc_key: 'f' })).to.equal(undefined);
  });
});
