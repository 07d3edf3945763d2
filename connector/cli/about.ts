// `--version` and `--about [--format text|json|markdown]` for every bin, shaped like the Meltano SDK's
// about output (singer_sdk/about.py: name, description, version, sdk_version,
// supported_python_versions, capabilities, settings) so Meltano and Hub tooling can read it. Settings
// are the JSON Schema each bin validates its config with (spec.json, …), never a hand-kept copy.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { ConfigError, ConnectorError } from '../core/errors.js';
import { REPO_ROOT, loadSchema, type JsonObject } from '../core/config.js';

export type BinName = 'tap-facebook-ads' | 'target-bigquery' | 'fb-ads-elt';
export const ABOUT_FORMATS = ['text', 'json', 'markdown'] as const;
export type AboutFormat = (typeof ABOUT_FORMATS)[number];

/**
 * The capability names Meltano defines, by plugin type: Meltano's plugin definition reference
 * (catalog, properties, discover, state, about, stream-maps), the Singer SDK's TapCapabilities /
 * TargetCapabilities / PluginCapabilities, and Meltano Hub's allowed lists for taps and targets.
 * A name outside these would be ignored by Meltano and refused by Hub's validation.
 */
export const MELTANO_CAPABILITIES = {
  extractor: ['about', 'activate-version', 'batch', 'catalog', 'discover', 'log-based', 'properties', 'schema-flattening', 'state', 'stream-maps', 'structured-logging', 'test'],
  loader: ['about', 'activate-version', 'batch', 'datatype-failsafe', 'hard-delete', 'schema-flattening', 'soft-delete', 'stream-maps', 'structured-logging', 'target-schema', 'test', 'validate-records'],
} as const;
export type MeltanoCapability = (typeof MELTANO_CAPABILITIES)[keyof typeof MELTANO_CAPABILITIES][number];

interface BinFacts {
  description: string;
  /**
   * Meltano capability names this bin really has: the one list `--about` reports and from which the
   * Meltano Hub definitions and meltano.yml are generated (deploy/meltano/hub.ts).
   */
  capabilities: MeltanoCapability[];
  /** The config schema the bin validates with: the single source of its settings. */
  schema: string;
}

const BINS: Record<BinName, BinFacts> = {
  'tap-facebook-ads': {
    description: 'Singer tap for the Meta (Facebook) Marketing API: ad accounts, campaigns, ad sets, ads, creatives and daily insights.',
    // `--properties` is still accepted, but Meltano's reference says to declare `catalog` or
    // `properties`, not both: Meltano then passes --catalog (the SDK calls properties deprecated).
    capabilities: ['about', 'catalog', 'discover', 'state', 'activate-version'],
    schema: 'spec.json',
  },
  'target-bigquery': {
    description: 'Singer target loading into BigQuery (or embedded DuckDB) with load jobs and MERGE; STATE is echoed after each commit.',
    capabilities: ['about', 'activate-version', 'soft-delete'],
    schema: 'schemas/target-config.json',
  },
  'fb-ads-elt': {
    description: 'Meta Ads -> BigQuery ELT: sync (tap -> target -> dbt), serve (HTTP trigger), demo, sandbox, models. Settings are those of `fb-ads-elt serve --config`.',
    capabilities: ['about'],
    schema: 'schemas/serve-config.json',
  },
};

export interface AboutInfo {
  name: string;
  description: string;
  version: string;
  /** Meltano's field; this connector is TypeScript and uses no Singer SDK, hence null. */
  sdk_version: null;
  supported_python_versions: null;
  capabilities: string[];
  settings: JsonObject;
}

/** The version in package.json (one source for every bin). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

/** What `--about` reports as the bin's capabilities (and what its Meltano definitions declare). */
export const capabilitiesOf = (bin: BinName): string[] => [...BINS[bin].capabilities];

export function aboutInfo(bin: BinName): AboutInfo {
  const facts = BINS[bin];
  return { name: bin, description: facts.description, version: packageVersion(), sdk_version: null, supported_python_versions: null, capabilities: capabilitiesOf(bin), settings: loadSchema(facts.schema) };
}

interface SettingRow {
  name: string;
  type: string;
  required: boolean;
  default: unknown;
  description: string;
}

/** Every setting, nested objects as dotted names (the Meltano SDK's markdown does the same). */
function settingRows(schema: JsonObject, parent = ''): SettingRow[] {
  const props = (schema['properties'] ?? {}) as Record<string, JsonObject>;
  const required = new Set((schema['required'] ?? []) as string[]);
  const rows: SettingRow[] = [];
  for (const [key, sub] of Object.entries(props)) {
    const name = parent ? `${parent}.${key}` : key;
    const t = sub['type'] ?? (sub['anyOf'] ? (sub['anyOf'] as JsonObject[]).map((x) => x['format'] ?? x['type']).join(' | ') : 'any');
    rows.push({ name, type: Array.isArray(t) ? t.join(' | ') : String(t), required: required.has(key), default: sub['default'], description: String(sub['description'] ?? '') });
    if (sub['properties']) rows.push(...settingRows(sub, name));
  }
  return rows;
}

export function formatAbout(info: AboutInfo, format: AboutFormat): string {
  if (format === 'json') return `${JSON.stringify(info, null, 2)}\n`;
  const rows = settingRows(info.settings);
  if (format === 'markdown') {
    const cell = (v: string): string => v.replace(/\|/g, '\\|').replace(/\n/g, '<br/>');
    return [
      `# \`${info.name}\``,
      '',
      info.description,
      '',
      `Version ${info.version}. TypeScript (Node >= 20.19), no Singer SDK.`,
      '',
      '## Capabilities',
      '',
      ...info.capabilities.map((c) => `- \`${c}\``),
      '',
      '## Settings',
      '',
      '| Setting | Required | Default | Description |',
      '|:--------|:--------:|:-------:|:------------|',
      ...rows.map((r) => `| ${r.name} | ${r.required ? 'True' : 'False'} | ${r.default === undefined ? 'None' : cell(JSON.stringify(r.default))} | ${cell(r.description)} |`),
      '',
      `A full list of supported settings and capabilities is available by running: \`${info.name} --about\``,
      '',
    ].join('\n');
  }
  return [
    `Name: ${info.name}`,
    `Description: ${info.description}`,
    `Version: ${info.version}`,
    'SDK Version: none (TypeScript, no Singer SDK)',
    'Capabilities:',
    ...info.capabilities.map((c) => `  - ${c}`),
    'Settings:',
    ...rows.flatMap((r) => [`  - Name: ${r.name}`, `    Type: ${r.type}${r.required ? ' (required)' : ''}${r.default === undefined ? '' : `, default ${JSON.stringify(r.default)}`}`]),
    '',
  ].join('\n');
}

/** Commander collector for a repeatable `--config` (files and `ENV`, merged in order by core/config.ts). */
export const collectConfig = (value: string, previous: string[]): string[] => [...previous, value];

/** Adds `-V/--version`, `--about` and `--format` to a bin's program, and leaves its errors to runCli. */
export function addAboutFlags(program: Command, _bin: BinName): Command {
  return (
    program
      // commander's own error text is not written: runCli prints one JSON error line with a hint
      // instead (two error lines for one mistake confused users, and stderr is JSON lines only).
      // Help goes to stdout as before. Set before any subcommand is added, which inherits it.
      .configureOutput({ writeErr: () => undefined })
      .version(packageVersion(), '-V, --version', 'print the version (package.json) and exit')
      .option('--about', 'print name, version, capabilities and settings (Meltano SDK style) and exit')
      .addOption(new Option('--format <format>', 'output of --about').choices([...ABOUT_FORMATS]).default('text'))
  );
}

/** Prints the about output when `--about` was given; true = the bin is done (exit 0). */
export function printAboutIfAsked(program: Command, bin: BinName): boolean {
  const opts = program.opts<{ about?: boolean; format?: AboutFormat }>();
  if (!opts.about) return false;
  process.stdout.write(formatAbout(aboutInfo(bin), opts.format ?? 'text'));
  return true;
}

/**
 * Commander's exitOverride turns --help and --version into exceptions; they are successes (exit 0).
 * Anything else from the parser is a usage error (exit 2) naming the bin's --help.
 */
export function parseOutcome(err: unknown, bin: BinName): 'done' {
  if (err instanceof ConnectorError) throw err;
  const e = err as { code?: unknown; exitCode?: unknown; message?: unknown };
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || (e.code === 'commander.help' && e.exitCode === 0)) return 'done';
  throw new ConfigError(String(e.message ?? err).replace(/^error: /, ''), { hint: `Run \`${bin} --help\` for usage.` });
}
