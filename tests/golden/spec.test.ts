// spec.json is the tap config's one declaration; what restates it is derived and checked here:
// connector/tap/spec.generated.ts (the constant TapConfig's type is derived from; refresh with
// UPDATE_GOLDEN=1), the insights levels the streams declare, and the Meltano settings of both plugins.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { loadSchema, REPO_ROOT } from '../../connector/core/config.js';
import { INSIGHTS_LEVELS } from '../../connector/tap/insights.js';
import { hubSettings, type HubSetting } from '../../deploy/meltano/hub.js';

const GENERATED = path.join(REPO_ROOT, 'connector', 'tap', 'spec.generated.ts');

export function specModule(spec: unknown): string {
  return (
    '// Generated from spec.json (the tap config schema, its source of truth) so TypeScript can derive\n' +
    '// TapConfig from it (config.ts). Do not edit: UPDATE_GOLDEN=1 npx mocha tests/golden/spec.test.ts\n' +
    `export const TAP_SPEC = ${JSON.stringify(spec, null, 2)} as const;\n`
  );
}

interface MeltanoPlugin {
  name: string;
  settings: Array<Record<string, unknown>>;
}

describe('spec.json and what is derived from it', () => {
  const spec = loadSchema('spec.json');

  it('is what connector/tap/spec.generated.ts declares (TapConfig is typed from it)', () => {
    const produced = specModule(spec);
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GENERATED, produced);
    expect(readFileSync(GENERATED, 'utf8'), 'run UPDATE_GOLDEN=1 npx mocha tests/golden/spec.test.ts to refresh').to.equal(produced);
  });

  it('offers exactly the insights levels the reports are declared for', () => {
    const items = ((spec['properties'] as Record<string, Record<string, unknown>>)['insights_reports']!['items'] as Record<string, unknown>)['properties'] as Record<string, Record<string, unknown>>;
    expect(items['level']!['enum']).to.deep.equal([...INSIGHTS_LEVELS]);
  });

  it('gives deploy/meltano/meltano.yml the settings of the Hub definitions, for the tap and the target', () => {
    const doc = yaml.load(readFileSync(path.join(REPO_ROOT, 'deploy', 'meltano', 'meltano.yml'), 'utf8')) as { plugins: { extractors: MeltanoPlugin[]; loaders: MeltanoPlugin[] } };
    const strip = (settings: readonly HubSetting[]): Array<Omit<HubSetting, 'label'>> => settings.map(({ label: _l, ...rest }) => rest);
    expect(doc.plugins.extractors[0]!.settings, 'tap-facebook-ads settings (node --import tsx deploy/meltano/hub.ts --write-meltano)').to.deep.equal(strip(hubSettings(spec)));
    expect(doc.plugins.loaders[0]!.settings, 'target-bigquery settings (node --import tsx deploy/meltano/hub.ts --write-meltano)').to.deep.equal(strip(hubSettings(loadSchema('schemas/target-config.json'))));
  });
});
