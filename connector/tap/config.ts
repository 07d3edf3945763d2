// The tap's configuration: spec.json validated by ajv (defaults filled), then the cross-field rules
// a schema cannot say (dates in order, account ids normalised). Tokens become labelled entries.
import { meltanoSettingHow, SERVE_TAP_SETTINGS, type SettingsSource } from '../core/surface.js';
import { ConfigError } from '../core/errors.js';
import type { FromSchema } from 'json-schema-to-ts';
import { loadConfigSources, loadSchema, readConfigSources, validateConfig, type LoadedConfig } from '../core/config.js';
import { envPrefixOf } from '../core/env-config.js';
import { checkAttributionConfig } from './attribution.js';
import type { TAP_SPEC } from './spec.generated.js';

/**
 * The tap config after validation (defaults filled), derived from spec.json itself: spec.generated.ts
 * is spec.json as a TypeScript constant (a golden test keeps them equal), so a field added to the
 * schema is typed here without being written twice.
 */
export type TapConfig = FromSchema<typeof TAP_SPEC, { keepDefaultedPropertiesOptional: false }> & {
  /** CLI `--days N` only (not in spec.json): insights start N-1 days before today in each account's zone. */
  last_days?: number;
};

export type TokenConfig = NonNullable<TapConfig['access_tokens']>[number];
export type InsightsReportConfig = NonNullable<TapConfig['insights_reports']>[number];

export const SPEC_PATH = 'spec.json';

/** Bare digits of an ad account id (config accepts act_123 or 123). */
export const bareAccountId = (id: string): string => id.replace(/^act_/, '');

/**
 * The day a start_date/end_date names. spec.json accepts YYYY-MM-DD and RFC 3339 date-times (as
 * Meltano and singer-io configs write them); a date-time counts as the calendar date written in it,
 * time and offset ignored ("2025-01-01T00:00:00+02:00" is 2025-01-01, not 2024-12-31 in UTC), which
 * is what singer-io/tap-facebook and Airbyte do with such values. The day is then read in each ad
 * account's time zone, exactly like a bare date.
 */
export function dayOfConfigDate(value: string): string {
  return value.slice(0, 10);
}

function check(c: TapConfig): void {
  if (c.start_date !== undefined) c.start_date = dayOfConfigDate(c.start_date);
  if (c.end_date !== undefined) c.end_date = dayOfConfigDate(c.end_date);
  if (c.access_token && c.access_tokens) {
    throw new ConfigError('config has both access_token and access_tokens', { hint: 'Keep one: put the single token into access_tokens with a label.' });
  }
  const secrets: Array<[string, string | undefined]> = [['config.access_token', c.access_token], ...(c.access_tokens ?? []).map((t, i): [string, string] => [`config.access_tokens[${i}].token`, t.token]), ['config.app_secret', c.app_secret]];
  for (const [field, value] of secrets) {
    // Meta refuses such a token as invalid (190): the run would end as a dead token (exit 3).
    if (value !== undefined && /\s/.test(value)) {
      throw new ConfigError(`${field} has a space or line break in it, which no Meta token or app secret has`, {
        hint: 'Remove it: a value pasted with its line break (from a file, an editor or an echo without -n) is refused by Meta as an invalid token, which would look like a dead one.',
      });
    }
  }
  const labels = (c.access_tokens ?? []).map((t) => t.label);
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup) throw new ConfigError(`config.access_tokens has the label "${dup}" twice`, { hint: 'Labels name tokens in logs; make each unique.' });
  if (c.start_date && c.end_date && c.start_date > c.end_date) {
    throw new ConfigError(`config.start_date (${c.start_date}) is after config.end_date (${c.end_date})`, { hint: 'Swap them or drop end_date to sync up to today.' });
  }
  if (c.account_ids) c.account_ids = [...new Set(c.account_ids.map(bareAccountId))];
  if (c.api_base_url !== undefined) checkApiBaseUrl(c.api_base_url);
  checkAttributionConfig(c);
}

/**
 * api_base_url is a host (and optional path prefix) the tap appends /<version>/<path>?<query> to: a
 * query or fragment of its own would be cut off or mangled, and user:password in it would be sent
 * to every host it redirects to and shown wherever the URL is. Only http(s).
 */
function checkApiBaseUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('config.api_base_url is not a URL', { hint: 'Leave it unset for Meta (https://graph.facebook.com), or give a full URL such as http://127.0.0.1:8080 for the sandbox.' });
  }
  const wrong = url.protocol !== 'https:' && url.protocol !== 'http:' ? `the scheme ${url.protocol}` : url.username || url.password ? 'credentials' : url.search ? 'a query' : url.hash ? 'a fragment' : undefined;
  if (wrong) {
    // The value itself is not quoted: credentials or a token may be in it.
    throw new ConfigError(`config.api_base_url has ${wrong}, which the tap cannot use`, {
      hint: 'Give only scheme, host, port and an optional path (e.g. https://graph.facebook.com); tokens go in access_token(s), never in the URL.',
    });
  }
}

export function validateTapConfig(raw: unknown, file?: string): LoadedConfig<TapConfig> {
  return validateConfig<TapConfig>(raw, loadSchemaCached(), { what: 'tap config', check, schemaPath: SPEC_PATH, ...(file !== undefined ? { file } : {}) });
}

const TAP_SOURCES = { what: 'tap config', envPrefix: envPrefixOf('tap-facebook-ads') } as const;

/** `--config` values: files and/or `ENV` (TAP_FACEBOOK_ADS_<SETTING> variables), merged in order. */
export function loadTapConfig(sources: string | readonly string[]): LoadedConfig<TapConfig> {
  return loadConfigSources<TapConfig>(sources, SPEC_PATH, { ...TAP_SOURCES, check });
}

/** Stands in for the token when only insights_reports are checked: discovery calls no API. */
const DISCOVERY_STAND_IN_TOKEN = 'discovery-calls-no-api';

/**
 * The config `--discover` works from. Discovery calls no API and only insights_reports shapes the
 * catalog, so, like a Meltano SDK tap with a static catalog (which discovers without validating its
 * config), it does not need a valid config: `meltano select --list` runs before the token is set.
 * An invalid config is then reported as a warning and only its insights_reports must validate (they
 * change the catalog); anything else wrong still stops a sync (exit 2).
 */
export function loadDiscoveryConfig(sources: string | readonly string[], warn: (message: string, hint: string) => void): Pick<TapConfig, 'insights_reports'> {
  const { raw, label } = readConfigSources(sources, loadSchemaCached(), TAP_SOURCES);
  try {
    return validateTapConfig(raw, label).config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    warn(`discovering with an incomplete config: ${err.message}`, 'Discovery reads no API, so it goes on; fix the config before a sync.');
    if (raw['insights_reports'] === undefined) return {};
    return validateTapConfig({ access_token: DISCOVERY_STAND_IN_TOKEN, insights_reports: raw['insights_reports'] }, label).config;
  }
}

/** A tap setting as hints name it (`config.access_tokens`, `config.access_token(s)`, `config.insights_reports[].fields`). */
const SETTING_IN_HINT = /\bconfig\.([a-z_]+)(\(s\))?((?:\[\]|\.[a-z_]+)*)/g;

/**
 * `text` with each tap setting named as its reader gives it: unchanged for a config file; the
 * variable for `--config ENV` (TAP_FACEBOOK_ADS_ACCESS_TOKENS); for serve's caller, the key in the
 * tap config serve runs with; under Meltano, the extractor's setting and the `meltano config … set`
 * command (Meltano writes the config file itself, so an edit there is lost on the next run). Hints
 * are written once, for the file; this renders them per surface.
 */
export function tapSettingsFor(text: string, source: SettingsSource): string {
  if (source === 'file') return text;
  const settings = Object.keys((loadSchemaCached()['properties'] ?? {}) as Record<string, unknown>);
  return text.replace(SETTING_IN_HINT, (whole: string, key: string, plural: string | undefined, rest: string) => {
    if (!settings.includes(key)) return whole;
    const named = `${key}${plural ?? ''}${rest}`;
    if (source === 'serve') return `${named} in ${SERVE_TAP_SETTINGS}`;
    if (typeof source === 'object') {
      const setting = plural ? meltanoSettingHow(source.meltano, key, `${key}s`) : meltanoSettingHow(source.meltano, key);
      return rest ? `${named} in ${setting}` : setting;
    }
    const variable = `${TAP_SOURCES.envPrefix}${key.toUpperCase()}${plural ? '(S)' : ''}`;
    return rest ? `${named} in ${variable}` : variable;
  });
}

let specCache: Record<string, unknown> | undefined;
function loadSchemaCached(): Record<string, unknown> {
  specCache ??= loadSchema(SPEC_PATH);
  return specCache;
}

/** Tokens as labelled entries; a lone access_token is labelled "default". */
export function tokensOf(c: TapConfig): TokenConfig[] {
  if (c.access_tokens) return c.access_tokens;
  if (c.access_token) return [{ label: 'default', token: c.access_token }];
  return [];
}
