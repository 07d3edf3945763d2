// catalog.json is the golden output of `tap-facebook-ads --discover`; refresh with UPDATE_GOLDEN=1.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../connector/core/config.js';
import { discover } from '../../connector/tap/discover.js';

const GOLDEN = path.join(REPO_ROOT, 'catalog.json');

describe('golden catalog.json', () => {
  it('equals what discovery produces for a config without custom reports', () => {
    const produced = JSON.stringify(discover(), null, 2) + '\n';
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN, produced);
    expect(readFileSync(GOLDEN, 'utf8'), 'run UPDATE_GOLDEN=1 npx mocha tests/golden/catalog.test.ts to refresh').to.equal(produced);
  });
});
