import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../../connector/core/config.js';
import { recordFixtures } from '../fixtures/graph/record.js';

const DIR = join(REPO_ROOT, 'tests/fixtures/graph');

describe('sandbox: recorded Graph fixtures', () => {
  it('are exactly what the sandbox serves today (refresh with UPDATE_FIXTURES=1)', async () => {
    const fixtures = await recordFixtures();
    if (process.env['UPDATE_FIXTURES'] === '1') for (const f of fixtures) writeFileSync(join(DIR, `${f.name}.json`), `${JSON.stringify(f, null, 2)}\n`);
    const onDisk = readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(onDisk).to.deep.equal(fixtures.map((f) => `${f.name}.json`).sort());
    for (const f of fixtures) expect(JSON.parse(readFileSync(join(DIR, `${f.name}.json`), 'utf8')), f.name).to.deep.equal(JSON.parse(JSON.stringify(f)));
  });

  it('contain no token-looking strings', () => {
    for (const f of readdirSync(DIR).filter((x) => x.endsWith('.json'))) {
      const text = readFileSync(join(DIR, f), 'utf8');
      expect(text, f).to.not.match(/sbx_[a-z0-9]+_[0-9a-f]{8}/);
      expect(text, f).to.not.match(/EAA[A-Za-z0-9]{30,}/);
    }
  });
});
