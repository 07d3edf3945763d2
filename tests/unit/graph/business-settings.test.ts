// One phrase for where a user gives an asset to a system user (connector/graph/business-settings.ts):
// every hint builds it from the constant and README says the same words (QA found "Add people" in
// the hints and "Assign people" in README; Meta's help calls the asset-first way "Assign people").
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { ASSIGN_PEOPLE, assignPeoplePath } from '../../../connector/graph/business-settings.js';
import { ruleFor } from '../../../connector/graph/errors.js';

const PATHS = /Business Settings → Accounts → (Ad accounts|Pages) → ([A-Za-z ]+)/g;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('Business Settings wording (one phrase for assigning an asset)', () => {
  it('README names the step exactly as the constant does, and no other', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const steps = [...readme.matchAll(PATHS)].map((m) => m[2]!.trim());
    expect(steps.length, 'README shows the path').to.be.greaterThan(0);
    expect([...new Set(steps)]).to.deep.equal([ASSIGN_PEOPLE]);
    expect(readme).to.include(assignPeoplePath('Ad accounts'));
    expect(readme).to.not.match(/\bAdd people\b/);
  });

  it('no connector source spells the path itself: each hint takes it from the constant', () => {
    const own = path.join(REPO_ROOT, 'connector', 'graph', 'business-settings.ts');
    const spelled = tsFiles(path.join(REPO_ROOT, 'connector')).filter((f) => f !== own && /Business Settings → Accounts|Add people/.test(readFileSync(f, 'utf8')));
    expect(spelled.map((f) => path.relative(REPO_ROOT, f))).to.deep.equal([]);
  });

  it('the hint for a token without a role on a Page (190/492) sends the user to the Pages list with that step', () => {
    const rule = ruleFor(400, { code: 190, error_subcode: 492, message: 'no role on the Page' });
    expect(rule.hint).to.include(assignPeoplePath('Pages'));
  });
});
