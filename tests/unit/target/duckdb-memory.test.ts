// connector/target/duckdb/memory.ts: the limit a wide table's commit is raised to must leave this
// tap's own tables at the default (their peak RSS is the README's memory goal), and count what DuckDB stores.
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { loadStreamFields, METADATA_FIELDS } from '../../../connector/target/fields.js';
import { DEFAULT_DUCKDB_MEMORY_LIMIT } from '../../../connector/target/config.js';
import { columnCount, commitMemoryMb, sizeInMb } from '../../../connector/target/duckdb/memory.js';

describe('DuckDB memory by table width', () => {
  it('leaves every table of this tap at the default limit, on the history path, the costliest', () => {
    const streams = readdirSync(path.join(REPO_ROOT, 'schemas', 'streams')).map((f) => f.replace(/\.json$/, ''));
    expect(streams.length).to.be.greaterThan(10);
    const defaultMb = sizeInMb(DEFAULT_DUCKDB_MEMORY_LIMIT)!;
    for (const stream of streams) {
      const fields = loadStreamFields(stream);
      const all = [...fields, ...METADATA_FIELDS.filter((m) => !fields.some((f) => f.name === m.name))];
      expect(commitMemoryMb(columnCount(all), 'history'), `${stream}: ${columnCount(all)} columns`).to.be.at.most(defaultMb);
    }
  });

  it('raises for a 1,000-property stream, and counts a STRUCT and each of its members', () => {
    expect(commitMemoryMb(1007, 'history')).to.be.greaterThan(sizeInMb(DEFAULT_DUCKDB_MEMORY_LIMIT)!);
    expect(
      columnCount([
        { name: 'a', type: 'STRING', mode: 'NULLABLE' },
        {
          name: 's',
          type: 'RECORD',
          mode: 'REPEATED',
          fields: [
            { name: 'x', type: 'STRING', mode: 'NULLABLE' },
            { name: 'y', type: 'INT64', mode: 'NULLABLE' },
          ],
        },
      ]),
    ).to.equal(4);
  });

  it('reads memory limits in DuckDB units: MB of 10^6 bytes, MiB of 2^20', () => {
    expect(sizeInMb('128MB')).to.equal(128);
    expect(sizeInMb('1GiB')).to.be.closeTo(1073.74, 0.01);
    expect(sizeInMb('lots')).to.equal(undefined);
  });
});
