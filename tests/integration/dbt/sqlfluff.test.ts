// sqlfluff (dbt templater, rules in dbt/.sqlfluff) over every model, macro and test of dbt/: dbt
// renders each file for DuckDB, sqlfluff parses the result as DuckDB SQL and applies the rules.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { resolveSqlfluff } from '../../../connector/dbt/python-env.js';

interface LintedFile {
  filepath: string;
  violations: Array<{ code: string; description: string; start_line_no?: number; line_no?: number }>;
}

describe('sqlfluff lint of dbt/ (dbt templater)', function () {
  this.timeout(600_000);

  it('finds no parse error and no rule violation in any model or test', () => {
    const r = spawnSync(resolveSqlfluff(), ['lint', '--format', 'json', '--processes', '2', '--disable-progress-bar', '.'], {
      cwd: path.join(REPO_ROOT, 'dbt'),
      // The templater compiles through the repository's profile; an in-memory DuckDB keeps it from creating a file.
      env: { ...process.env, DBT_DUCKDB_PATH: ':memory:', DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1' },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const files = JSON.parse(r.stdout || '[]') as LintedFile[];
    const problems = files.flatMap((f) => f.violations.map((v) => `${f.filepath}:${v.start_line_no ?? v.line_no ?? '?'} ${v.code} ${v.description}`));
    expect(problems, problems.join('\n')).to.deep.equal([]);
    expect(r.status, r.stderr.slice(-3000)).to.equal(0);
    expect(files.filter((f) => f.filepath.includes('models')).length, 'every model was linted').to.be.greaterThan(25);
  });
});
