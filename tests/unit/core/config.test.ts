import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadTapConfig, validateTapConfig } from '../../../connector/tap/config.js';
import { validateTargetConfig } from '../../../connector/target/config.js';
import { ConfigError } from '../../../connector/core/errors.js';
import { describeAjvErrors } from '../../../connector/core/config.js';
import { newAjv } from '../../../connector/core/validators.js';

/** Runs `fn` with process.env replaced, restoring it after. */
function withEnv<T>(env: NodeJS.ProcessEnv, fn: () => T): T {
  const saved = process.env;
  process.env = env;
  try {
    return fn();
  } finally {
    process.env = saved;
  }
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('tap config', () => {
  const token = 'sbx_agency_0123456789abcdef';

  it('fills defaults from spec.json', () => {
    const { config } = validateTapConfig({ access_token: token });
    expect(config.insights_lookback_days).to.equal(28);
    expect(config.action_attribution_windows).to.deep.equal(['7d_click', '1d_view']);
    expect(config.max_retries).to.equal(3);
    expect(config.circuit_breaker).to.deep.equal({ failures: 5, pause_seconds: 60 });
  });

  it('names the missing token fields when no token is given', () => {
    expect(configError(() => validateTapConfig({ start_date: '2026-01-01' })).message).to.include('config.access_token is required');
  });

  it('names an ill-typed field and what type is allowed', () => {
    const e = configError(() => validateTapConfig({ access_token: token, page_size: 'big', insights_lookback_days: 40 }));
    expect(e.message).to.include('config.page_size must be integer');
    expect(e.message).to.include('config.insights_lookback_days must be <= 28');
    expect(e.exitCode).to.equal(2);
  });

  it('lists the allowed values for an enum', () => {
    const e = configError(() => validateTapConfig({ access_token: token, action_attribution_windows: ['3d_click'] }));
    expect(e.message).to.match(/config.action_attribution_windows\[0\] must be one of "1d_view", .*"7d_click"/);
  });

  it('explains a malformed account id and normalises act_ prefixes', () => {
    expect(configError(() => validateTapConfig({ access_token: token, account_ids: ['12ab'] })).message).to.include('config.account_ids[0] must match');
    expect(validateTapConfig({ access_token: token, account_ids: ['act_123', '123', '456'] }).config.account_ids).to.deep.equal(['123', '456']);
  });

  it('refuses start_date after end_date and unknown fields', () => {
    expect(configError(() => validateTapConfig({ access_token: token, start_date: '2026-03-01', end_date: '2026-02-01' })).message).to.include('is after');
    expect(configError(() => validateTapConfig({ access_token: token, acces_token: 'x' })).message).to.include('unknown field "acces_token"');
  });

  it('accepts start_date/end_date as YYYY-MM-DD or RFC 3339 date-times, counting a date-time as the date written in it', () => {
    const day = (v: string): string | undefined => validateTapConfig({ access_token: token, start_date: v }).config.start_date;
    expect(day('2025-01-01')).to.equal('2025-01-01');
    expect(day('2025-01-01T00:00:00Z'), 'as Meltano and singer-io configs write it').to.equal('2025-01-01');
    expect(day('2025-01-01T00:00:00+02:00'), 'not 2024-12-31 (its UTC date)').to.equal('2025-01-01');
    expect(day('2025-01-01T23:30:00-08:00'), 'not 2025-01-02 (its UTC date)').to.equal('2025-01-01');
    expect(day('2025-01-01T12:00:00.123Z')).to.equal('2025-01-01');
    expect(validateTapConfig({ access_token: token, end_date: '2025-01-31T00:00:00Z' }).config.end_date).to.equal('2025-01-31');
    // Order is checked on the days: the same day as a date and as a later date-time is fine.
    expect(validateTapConfig({ access_token: token, start_date: '2025-01-31T18:00:00Z', end_date: '2025-01-31' }).config.start_date).to.equal('2025-01-31');
  });

  it('refuses any other start_date/end_date form, naming the key, the value and the accepted formats', () => {
    for (const bad of ['2025-01-01T00:00:00', '01/02/2025', '2025-13-01', '2025-1-1', 'yesterday']) {
      const m = configError(() => validateTapConfig({ access_token: token, start_date: bad })).message;
      expect(m, bad).to.include(`config.start_date "${bad}" is not accepted: use YYYY-MM-DD or an RFC 3339 date-time such as 2025-01-01T00:00:00Z`);
      expect(m, 'one sentence, not one per format tried').to.not.include('must match format');
    }
    expect(configError(() => validateTapConfig({ access_token: token, end_date: '31.01.2025' })).message).to.include('config.end_date "31.01.2025" is not accepted');
  });

  it('refuses a token or app secret with a space or line break in it (a paste with its newline), naming the field, never the value', () => {
    // Meta answers such a token with 190 "Invalid OAuth access token": the run would stop with exit 3
    // and a hint to issue a new token, for a token that is fine once the newline is gone.
    for (const [raw, field] of [
      [{ access_token: `${token}\n` }, 'config.access_token'],
      [
        {
          access_tokens: [
            { label: 'a', token },
            { label: 'b', token: ` ${token}` },
          ],
        },
        'config.access_tokens[1].token',
      ],
      [{ access_token: token, app_secret: '0123456789abcdef\r\n' }, 'config.app_secret'],
    ] as const) {
      const e = configError(() => validateTapConfig(raw));
      expect(e.message, field).to.equal(`${field} has a space or line break in it, which no Meta token or app secret has`);
      expect(e.hint).to.match(/Remove it/);
      expect(e.exitCode).to.equal(2);
    }
  });

  it('refuses an api_base_url with credentials, a query, a fragment or another scheme, never quoting it; takes a host with a path', () => {
    for (const [url, what] of [
      [`https://user:${token}@graph.facebook.com`, 'credentials'],
      [`https://graph.facebook.com?access_token=${token}`, 'a query'],
      ['https://graph.facebook.com#v1', 'a fragment'],
      ['ftp://graph.facebook.com', 'the scheme ftp:'],
    ] as const) {
      const e = configError(() => validateTapConfig({ access_token: token, api_base_url: url }));
      expect(e.message, url).to.equal(`config.api_base_url has ${what}, which the tap cannot use`);
      expect(`${e.message} ${e.hint ?? ''}`).to.not.include(token);
      expect(e.exitCode).to.equal(2);
    }
    expect(validateTapConfig({ access_token: token, api_base_url: 'http://127.0.0.1:8080/graph' }).config.api_base_url).to.equal('http://127.0.0.1:8080/graph');
  });

  it('never echoes a secret in a validation error', () => {
    const e = configError(() => validateTapConfig({ access_tokens: [{ label: 'bad label!', token }] }));
    expect(e.message).not.to.include(token);
    expect(e.message).to.include('config.access_tokens[0].label must match');
  });
});

describe('target config', () => {
  it('defaults to the embedded DuckDB destination', () => {
    const { config } = validateTargetConfig({});
    expect(config.destination).to.equal('duckdb');
    expect(config.history).to.equal(true);
  });

  it('defaults batch_bytes per destination (32 MiB on DuckDB, 100 MiB on BigQuery) and keeps a given one', () => {
    expect(validateTargetConfig({}).config.batch_bytes).to.equal(32 * 1024 * 1024);
    expect(validateTargetConfig({ destination: 'bigquery', project_id: 'my-proj-1' }).config.batch_bytes).to.equal(100 * 1024 * 1024);
    expect(validateTargetConfig({ batch_bytes: 4096 }).config.batch_bytes).to.equal(4096);
    expect(validateTargetConfig({}).config.duckdb_threads).to.equal(1);
  });

  it('requires project_id for BigQuery and redacts inline credentials', () => {
    const e = configError(() => validateTargetConfig({ destination: 'bigquery', credentials_json: { private_key: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n' } }));
    expect(e.message).to.include('config.project_id is required when destination is "bigquery"').and.not.include('must match "then" schema');
    // The hint stands next to the message in JSON logs and `--json` output too: no "above".
    expect(e.hint).to.include('named in the message').and.not.include('above');
    const { redactor } = validateTargetConfig({ destination: 'bigquery', project_id: 'my-proj-1', credentials_json: { private_key: 'PRIVATEKEYMATERIAL' } });
    expect(redactor.redact('oops PRIVATEKEYMATERIAL')).not.to.include('PRIVATEKEYMATERIAL');
  });
});

describe('config files', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'config-file-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('name the file in schema errors and in cross-field errors', () => {
    const file = path.join(dir, 'tap.json');
    writeFileSync(file, JSON.stringify({ access_token: 'sbx_agency_0123456789abcdef', page_size: 'x' }));
    expect(configError(() => loadTapConfig(file)).message).to.match(/^Invalid tap config \(.*tap\.json\): config\.page_size must be/);
    writeFileSync(file, JSON.stringify({ access_token: 'sbx_agency_0123456789abcdef', start_date: '2026-02-01', end_date: '2026-01-01' }));
    const e = configError(() => loadTapConfig(file));
    expect(e.message).to.match(/^Invalid tap config \(.*tap\.json\): config\.start_date \(2026-02-01\) is after config\.end_date/);
    expect(e.hint).to.include('Swap them');
  });

  it('place a JSON syntax error by line and column in a multi-line config, not by character offset', () => {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, '{\n  "access_token": "sbx_agency_0123456789abcdef",\n  "start_date": "2026-01-01",\n}\n');
    const e = configError(() => loadTapConfig(file));
    expect(e.message).to.equal(`tap config file ${file} line 4, column 1: Expected double-quoted property name (not valid JSON)`);
    expect(e.message).not.to.include('position');
    expect(e.message).not.to.include('sbx_agency');
    writeFileSync(file, '{\n  "access_token": "sbx_agency_0123456789abcdef"\n  "start_date": "2026-01-01"\n}\n');
    expect(configError(() => loadTapConfig(file)).message).to.match(/config\.json line 3, column 3: Expected ',' or '}' after property value/);
    writeFileSync(file, '{\n  "access_token": "sbx_agency_0123456789abcdef",\n');
    expect(configError(() => loadTapConfig(file)).message).to.match(/config\.json line 3, column 1: Expected double-quoted property name \(not valid JSON\)$/);
  });

  it('never quote a token written without its double quotes, placing it by line and column instead (file, state file, environment variable)', () => {
    // V8 words this error with the text around it ("Unexpected token 's', ..."token": sbx_agency"...
    // is not valid JSON"): the token's first characters, in every log.
    const token = 'sbx_agency_0123456789abcdef';
    const file = path.join(dir, 'config.json');
    writeFileSync(file, `{\n  "start_date": "2026-01-01",\n  "access_token": ${token}\n}\n`);
    const e = configError(() => loadTapConfig(file));
    expect(e.message).to.equal(`tap config file ${file} line 3, column 19: a value that is not JSON: text needs double quotes (not valid JSON)`);
    writeFileSync(file, `{"access_tokens": [{"label": "a", "token": "${token}"}, ${token}]}`);
    const listed = configError(() => loadTapConfig(file)).message;
    expect(listed).to.match(/line 1, column \d+: a value that is not JSON/);
    expect(listed).not.to.match(/sbx|abcdef/);
    const env = { ...process.env, TAP_FACEBOOK_ADS_ACCESS_TOKENS: `[{"label": "a", "token": ${token}}]` };
    const fromEnv = configError(() => withEnv(env, () => loadTapConfig('ENV'))).message;
    expect(fromEnv).to.equal('environment variable TAP_FACEBOOK_ADS_ACCESS_TOKENS line 1, column 26: a value that is not JSON: text needs double quotes (not valid JSON)');
  });
});

describe('ajv error wording', () => {
  it('says under which condition an if/then/else branch requires a key, without ajv\'s "must match then/else schema"', () => {
    const validate = newAjv().compile({
      type: 'object',
      properties: { destination: { enum: ['duckdb', 'bigquery'] }, nested: { type: 'object', if: { properties: { kind: { const: 'x' } } }, then: { required: ['x_id'] } } },
      if: { properties: { destination: { const: 'bigquery' } }, required: ['destination'] },
      then: { required: ['project_id'] },
      else: { required: ['duckdb_path'] },
    });
    validate({ destination: 'bigquery', nested: { kind: 'x' } });
    expect(describeAjvErrors(validate.errors)).to.equal('config.project_id is required when destination is "bigquery"; config.nested.x_id is required when kind is "x"');
    validate({});
    expect(describeAjvErrors(validate.errors)).to.equal('config.duckdb_path is required unless destination is "bigquery"');
  });
});
