// Which entry point a run came through — the CLI or serve's HTTP API — and how each spells what a
// hint asks its reader to change, so a hint names what that reader can pass (a flag, a POST body
// key, a serve config key): one wording per parameter and surface, here. `sync` hands the surface
// to the tap and the target in FB_ADS_ELT_SURFACE, as it hands them FB_ADS_ELT_RUN_ID: their hints
// reach serve's status as they are. Who gives the tap its settings (a file, the environment, serve's
// operator, a Meltano project) decides how a hint names a setting (SettingsSource).

export type Surface = 'cli' | 'serve';

export const SURFACE_ENV = 'FB_ADS_ELT_SURFACE';

/** serve's trigger endpoint (routed in pipeline/serve.ts). */
export const SYNC_PATH = '/api/meta-ads/sync';

/** The run parameters a hint may name. */
export type RunParam = 'account' | 'days' | 'full_refresh' | 'state_file';

const SPELLING: Readonly<Record<RunParam, Readonly<Record<Surface, string>>>> = {
  account: { cli: '--account', serve: `"account_id" in the POST ${SYNC_PATH} body` },
  days: { cli: '--days', serve: `"days" in the POST ${SYNC_PATH} body` },
  full_refresh: { cli: '--full-refresh', serve: `"full_refresh" in the POST ${SYNC_PATH} body` },
  state_file: { cli: '--state-file', serve: '"state_file" in the serve config' },
};

/** How `surface` spells `param`, for a hint: `--account` on the CLI, `"account_id" in the POST … body` for serve. */
export const paramOf = (param: RunParam, surface: Surface): string => SPELLING[param][surface];

/** How a reader on `surface` re-reads these streams (or every stream) from start_date. */
export function fullRefreshHow(streams: readonly string[] | 'all', surface: Surface): string {
  if (surface === 'serve') return `POST ${SYNC_PATH} with {"full_refresh": ${streams === 'all' ? 'true' : JSON.stringify(streams)}}`;
  return `\`fb-ads-elt sync … --full-refresh${streams === 'all' ? '' : ` ${streams.join(',')}`}\``;
}

/** The same, with Meltano's spelling beside the CLI's (a tap or target run by hand or by Meltano reads these hints too). */
export const resyncHow = (streams: readonly string[], surface: Surface): string => (surface === 'serve' ? fullRefreshHow(streams, surface) : `${fullRefreshHow(streams, surface)}, or \`meltano run --full-refresh …\``);

/**
 * How a hint's reader gives the tap its settings: a config file (`--config tap.json`: a hint names a
 * setting `config.<setting>`, as validation does), environment variables (`--config ENV`), the
 * tap config serve's caller cannot pass, only its operator edit, or a Meltano project whose
 * extractor (by its name there) runs the tap from its own settings (tap/config.ts tapSettingsFor).
 */
export type SettingsSource = 'file' | 'env' | 'serve' | { meltano: string };

/**
 * Set by Meltano for the extractor it runs, to the plugin's name in the project (meltano
 * core/plugin/project_plugin.py `info_env`: MELTANO_EXTRACTOR_NAME/_NAMESPACE/_VARIANT, beside each
 * setting as TAP_FACEBOOK_ADS_<SETTING>). MELTANO_PROJECT_ROOT alone does not say the tap's settings
 * are Meltano's: Meltano sets it for every plugin it invokes (core/project.py `Project.env`), such as
 * a utility running `fb-ads-elt sync` with its own tap config file.
 */
export const MELTANO_EXTRACTOR_ENV = 'MELTANO_EXTRACTOR_NAME';

/** Where the tap's settings come from, for its hints: the Meltano extractor that runs it, else a config file. */
export function tapSettingsSourceOf(env: NodeJS.ProcessEnv = process.env): SettingsSource {
  const name = env[MELTANO_EXTRACTOR_ENV]?.trim();
  return name ? { meltano: name } : 'file';
}

/** How a Meltano user changes a tap setting: the setting by its name and the `meltano config` command that sets it. */
export function meltanoSettingHow(extractor: string, setting: string, alternative?: string): string {
  const set = (name: string): string => `\`meltano config set ${extractor} ${name} …\``;
  return alternative === undefined ? `the ${setting} setting (${set(setting)})` : `the ${setting} or ${alternative} setting (${set(setting)} or ${set(alternative)})`;
}

/** Where the tap's settings are, for serve's caller. */
export const SERVE_TAP_SETTINGS = "the tap config (the serve config's tap_config)";

/** The surface a child process of a run serves (FB_ADS_ELT_SURFACE); the CLI when unset, as for a plain Singer pipe. */
export const surfaceOf = (env: NodeJS.ProcessEnv = process.env): Surface => (env[SURFACE_ENV] === 'serve' ? 'serve' : 'cli');
