// tests/fixtures/graph/real-answers/errors.json is exactly the catalogue of documented answers the
// sandbox's graph_error fault serves (refresh with UPDATE_FIXTURES=1), so unit tests drive the same
// payloads; the fault itself is tested in faults.test.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../../connector/core/config.js';
import { DOCUMENTED_ERRORS, DOCUMENTED_ERROR_NAMES, documentedError } from '../../connector/sandbox/documented-errors.js';

const FIXTURE = join(REPO_ROOT, 'tests/fixtures/graph/real-answers/errors.json');
/** The account id the fixture's throttle headers name (unit tests call act_123). */
const FIXTURE_ACCOUNT = '123';
const FIXTURE_TRACE = 'AbCdEfGhIjK';

function catalogue(): Record<string, { source: string; status: number; headers?: Record<string, string>; body: unknown }> {
  const out: ReturnType<typeof catalogue> = {};
  for (const name of DOCUMENTED_ERROR_NAMES) {
    const e = documentedError(name, FIXTURE_ACCOUNT);
    out[name] = { source: DOCUMENTED_ERRORS[name]!.source, status: e.spec.status, ...(Object.keys(e.headers).length ? { headers: e.headers } : {}), body: e.body(FIXTURE_TRACE) };
  }
  return out;
}

describe('sandbox: documented Graph answers', () => {
  it('the real-answer fixture is the catalogue, payload for payload (refresh with UPDATE_FIXTURES=1)', () => {
    const want = catalogue();
    if (process.env['UPDATE_FIXTURES'] === '1') writeFileSync(FIXTURE, `${JSON.stringify(want, null, 1)}\n`);
    expect(JSON.parse(readFileSync(FIXTURE, 'utf8'))).to.deep.equal(JSON.parse(JSON.stringify(want)));
  });
});
