// What Meta's SDK metadata cannot say, kept by hand beside the generated graph-api.json: fields that
// appeared in a given API version (one SDK targets one version), default projections (what a node
// returns without `fields=`) and the node type names Graph uses in its errors. Every entry cites its source.

/** SDK class → field → first API major version that has it. Older versions answer (#100) nonexisting field. */
export const FIELD_SINCE: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  // Meta changelog 2026-01-08 "Enhanced Error Messaging for Ads Insights Async API": failed report runs
  // carry error_subcode/error_message/error_user_title/error_user_msg from v25.0 (error_code, uint
  // before, is an int from v25.0). Cross-checked in the SDKs: facebook-nodejs-business-sdk 24.0.1
  // (v24.0) src/objects/ad-report-run.js lists error_code and none of the four; facebook-business
  // 25.0.3 (v25.0) adobjects/adreportrun.py lists all five.
  AdReportRun: { error_subcode: 25, error_message: 25, error_user_title: 25, error_user_msg: 25 },
};

/**
 * SDK class → the fields a node returns when the request has no `fields=` (the "default projection").
 * Classes not listed return `id` only.
 */
export const DEFAULT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  // Graph API overview ("Fields": a node returns id and name by default when it has a name; the
  // documented GET /me example answers {"name","id"}). Same for the named business assets.
  User: ['name', 'id'],
  SystemUser: ['name', 'id'],
  Business: ['id', 'name'],
  Page: ['name', 'id'],
  // BusinessUser adds `business`: airbyte-source-facebook-marketing 6.1.9 reads
  // business_user["business"] from GET /me/business_users sent without `fields=`
  // (source_facebook_marketing/streams/streams.py, AdAccount.get_task_permissions) in production
  // against the real API; without it that stream raises KeyError.
  BusinessUser: ['name', 'business', 'id'],
  // facts §10.1: an ad account list without fields= answers {account_id, id} (Airbyte fixtures/tests).
  AdAccount: ['account_id', 'id'],
  // facts §5.1: Airbyte polls report runs through the batch API with relative_url "{id}/" (no fields=)
  // and reads async_status/async_percent_completion; the documented poll answer carries these.
  AdReportRun: ['id', 'account_id', 'time_ref', 'time_completed', 'async_status', 'async_percent_completion', 'date_start', 'date_stop', 'error_code', 'error_message', 'error_subcode', 'error_user_title', 'error_user_msg', 'is_running'],
  // AssignedUser (GET /act_X/assigned_users): id and name, plus the edge's own fields (EDGE_FIELDS).
  AssignedUser: ['id', 'name'],
};

/**
 * SDK class → the node type Graph names in "(#100) Tried accessing nonexisting field (x) on node type (T)".
 * Ads objects keep their internal names: ad set → AdCampaign (facebook-php-business-sdk#294, v2.8,
 * GET /act_X/adsets; still seen in 2020s client code), campaign → AdCampaignGroup
 * (facebook-php-business-sdk#139), ad → Adgroup (facebook-php-business-sdk#403). Others use the SDK name.
 */
export const GRAPH_TYPE_NAME: Readonly<Record<string, string>> = {
  Campaign: 'AdCampaignGroup',
  AdSet: 'AdCampaign',
  Ad: 'Adgroup',
};

/**
 * How many offending names an error lists.
 * - insights `fields=`: all of them, "(#100) a, b are not valid for fields param. please check
 *   https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values"
 *   (facebook-nodejs-business-sdk#98, facebook-java-business-sdk#110, facebook-php-business-sdk#481).
 * - node/edge `fields=`: the first only. facebook-php-business-sdk#294 asked an ad set edge for
 *   daily_imps, execution_options and redownload (none a readable field) and Graph named daily_imps alone.
 */
export const INSIGHTS_FIELDS_DOC = 'https://developers.facebook.com/docs/marketing-api/reference/ads-insights/';

/**
 * Fields a node gets only when read through one edge: Graph reference pages say "the following fields
 * will be added to each node that is returned"; the SDK's node classes cannot carry them. They come back
 * without `fields=` too. Key: `<SDK class of the parent>/<edge>`.
 */
export const EDGE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  // Graph reference, Business › client_ad_accounts: permitted_tasks (facts §2.1).
  'Business/client_ad_accounts': ['permitted_tasks'],
  // Graph reference, Ad Account › assigned_users: permitted_tasks, tasks. airbyte-source-facebook-marketing
  // 6.1.9 reads assigned_user["tasks"] with no `fields=` (streams.py, AdAccount.get_task_permissions).
  'AdAccount/assigned_users': ['permitted_tasks', 'tasks'],
};

/**
 * Insights breakdowns that only exist inside another: asked alone, Meta answers HTTP 400
 * "(#100) Current combination of data breakdown columns (action_type, platform_position) is invalid"
 * — columns listed as action breakdowns (default action_type) then breakdowns (daroczig/fbRads#132,
 * 2020, and its fix: ask publisher_platform with it).
 */
export const BREAKDOWN_NEEDS: Readonly<Record<string, string>> = { platform_position: 'publisher_platform' };

/**
 * SDK classes of the business-scoped user kinds. Meta's SDK generates one `User` class holding the
 * edges of every kind of user, but its reference pages say the assigned_* edges concern "this business
 * scoped user" (docs graph-api/reference/user/assigned_pages, marketing-api/reference/system-user/
 * assigned_ad_accounts, business-user/assigned_ad_accounts). So an edge these classes declare exists on
 * a User node only when the user is business-scoped (a system user); on a plain person's token Graph
 * answers "(#100) Tried accessing nonexisting field (assigned_ad_accounts) on node type (User)" (the
 * real-answer scenario of issue 18). meta.ts derives the edge list from the SDK.
 */
export const BUSINESS_SCOPED_USER_CLASSES: readonly string[] = ['SystemUser', 'BusinessUser'];
