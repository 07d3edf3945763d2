import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { loadSchema, REPO_ROOT } from '../../../connector/core/config.js';
import { README_BLOCKS, readmeBlock } from '../../../connector/pipeline/readme-tables.js';
import { registerPipeline } from '../../../connector/pipeline/cli.js';

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const sectionOf = (title: string): string => {
  const a = readme.indexOf(`\n## ${title}\n`);
  expect(a, `README has a "${title}" section`).to.be.greaterThan(-1);
  const b = readme.indexOf('\n## ', a + 4);
  return readme.slice(a, b === -1 ? undefined : b);
};

function fieldPaths(schema: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, p] of Object.entries((schema['properties'] ?? {}) as Record<string, Record<string, unknown>>)) {
    out.push(prefix + k);
    if (p['properties']) out.push(...fieldPaths(p, `${prefix}${k}.`));
    const items = p['items'] as Record<string, unknown> | undefined;
    if (items?.['properties']) out.push(...fieldPaths(items, `${prefix}${k}[].`));
  }
  return out;
}

describe('README reference sections', () => {
  for (const [id, generate] of Object.entries(README_BLOCKS)) {
    it(`has the ${id} table exactly as its schema generates it (regenerate: node --import tsx connector/pipeline/readme-tables.ts --write)`, () => {
      expect(readmeBlock(readme, id), `README has the ${id} markers`).to.not.equal(undefined);
      expect(readmeBlock(readme, id)).to.equal(generate());
    });
  }

  it('documents every config field of the tap, the target and serve in the Configuration section', () => {
    const config = sectionOf('Configuration');
    for (const schema of ['spec.json', 'schemas/target-config.json', 'schemas/serve-config.json']) {
      const fields = fieldPaths(loadSchema(schema));
      expect(fields.length).to.be.greaterThan(5);
      for (const f of fields) expect(config, `${schema}: ${f}`).to.include(`| \`${f}\` |`);
    }
  });

  it('lists every stream of the catalog and its table', () => {
    const catalog = JSON.parse(readFileSync(path.join(REPO_ROOT, 'catalog.json'), 'utf8')) as { streams: { tap_stream_id: string }[] };
    for (const s of catalog.streams) {
      expect(sectionOf('Streams')).to.include(`| \`${s.tap_stream_id}\` |`);
      expect(sectionOf('Warehouse tables')).to.include(`| \`${s.tap_stream_id}\` |`);
    }
  });

  it('answers the common failures in Troubleshooting', () => {
    const t = sectionOf('Troubleshooting');
    for (const needle of ['could not be decrypted', '463', 'business_management', 'Insights are empty', '80004', '(#17)', 'Attribution windows', 'Restatement', 'reduce the amount of data', 'Time zone', '2635']) {
      expect(t, needle).to.include(needle);
    }
  });

  it('explains token scopes and lifetimes for a real setup', () => {
    const c = sectionOf('Configuration');
    for (const needle of ['ads_read', 'business_management', 'System users', 'Never', '60 days', 'fb_exchange_token', 'BigQuery Job User', 'BigQuery Data Editor']) expect(c, needle).to.include(needle);
  });

  it('uses only fb-ads-elt flags that exist in its command examples', () => {
    const program = new Command('fb-ads-elt');
    registerPipeline(program);
    const lines = readme.split('\n').filter((l) => /fb-ads-elt(\.js)? (sync|serve|demo)\b/.test(l));
    expect(lines.length).to.be.greaterThan(3);
    for (const line of lines) {
      const m = /fb-ads-elt(?:\.js)? (sync|serve|demo)\b(.*)/.exec(line)!;
      const cmd = program.commands.find((c) => c.name() === m[1])!;
      const known = new Set(cmd.options.flatMap((o) => [o.long, o.short]));
      for (const flag of m[2]!.match(/(?<=\s|`|\[)--?[a-z][a-z-]*/g) ?? []) expect(known.has(flag), `${m[1]} ${flag} in: ${line}`).to.equal(true);
    }
  });
});
