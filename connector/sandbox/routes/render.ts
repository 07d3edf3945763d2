// Field values of every node type, typed as the API types them (facts §2.2, §2.3, §3.2): money and
// budgets as strings in minor units, a few integers as JSON numbers, datetimes as ±HHMM strings in
// the account's time zone (facts §3.4, §10.5).
import { DateTime } from 'luxon';
import type { NodeType } from '../fields.js';
import { effectiveStatus, type Ad, type AdAccount, type AdSet, type Business, type Campaign, type Catalog, type Creative, type Page, type Pixel, type World, type WorldUser } from '../world.js';

const set = (s: string) => new Set(s.split(/\s+/).filter(Boolean));

export function graphTime(unix: number, tz: string): string {
  return DateTime.fromSeconds(unix, { zone: tz }).toFormat("yyyy-MM-dd'T'HH:mm:ssZZZ");
}

export const USER: NodeType = { type: 'User', known: set('id name first_name last_name'), defaults: ['name', 'id'] };
export const SYSTEM_USER: NodeType = { type: 'SystemUser', known: set('id name role created_by'), defaults: ['name', 'id'] };
export const BUSINESS_USER: NodeType = { type: 'BusinessUser', known: set('id name business role email first_name last_name'), defaults: ['name', 'id'] };
export const BUSINESS: NodeType = {
  type: 'Business',
  known: set('id name created_time updated_time verification_status timezone_id primary_page link vertical is_hidden owned_ad_accounts client_ad_accounts'),
  defaults: ['id', 'name'],
};
export const AD_ACCOUNT: NodeType = {
  type: 'AdAccount',
  known: set(
    `id account_id name account_status disable_reason currency timezone_id timezone_name timezone_offset_hours_utc amount_spent balance spend_cap
     min_daily_budget min_campaign_group_spend_cap business owner created_time age is_personal is_prepay_account funding_source funding_source_details
     capabilities user_tasks tos_accepted end_advertiser end_advertiser_name media_agency partner io_number tax_id tax_id_status tax_id_type
     business_name business_street business_street2 business_city business_state business_zip business_country_code attribution_spec
     is_attribution_spec_system_default failed_delivery_checks extended_credit_invoice_group rf_spec permitted_tasks is_tax_id_required
     is_notifications_enabled offsite_pixels_tos_accepted user_tos_accepted`,
  ),
  defaults: ['account_id', 'id'],
};
export const CAMPAIGN: NodeType = {
  type: 'Campaign',
  known: set(
    `id account_id name objective status configured_status effective_status buying_type bid_strategy daily_budget lifetime_budget budget_remaining
     spend_cap special_ad_categories special_ad_category special_ad_category_country smart_promotion_type source_campaign_id boosted_object_id
     budget_rebalance_flag issues_info adlabels pacing_type promoted_object created_time start_time stop_time updated_time can_use_spend_cap
     last_budget_toggling_time primary_attribution recommendations topline_id`,
  ),
  defaults: ['id'],
};
export const AD_SET: NodeType = {
  type: 'AdSet',
  known: set(
    `id account_id campaign_id campaign name status configured_status effective_status daily_budget lifetime_budget budget_remaining bid_amount
     bid_info bid_strategy bid_constraints billing_event optimization_goal promoted_object targeting attribution_spec destination_type
     learning_stage_info is_dynamic_creative created_time start_time end_time updated_time adlabels issues_info pacing_type recommendations
     source_adset_id daily_min_spend_target daily_spend_cap lifetime_min_spend_target lifetime_spend_cap`,
  ),
  defaults: ['id'],
};
export const AD: NodeType = {
  type: 'Ad',
  known: set(
    `id account_id campaign_id adset_id campaign adset name status configured_status effective_status creative bid_amount bid_type bid_info
     tracking_specs conversion_specs targeting recommendations source_ad_id last_updated_by_app_id issues_info preview_shareable_link
     created_time updated_time adlabels engagement_audience`,
  ),
  defaults: ['id'],
};
export const AD_CREATIVE: NodeType = {
  type: 'AdCreative',
  known: set(
    `id account_id name status title body object_type object_story_id effective_object_story_id object_story_spec asset_feed_spec
     call_to_action_type image_hash image_url thumbnail_url video_id link_url url_tags actor_id instagram_user_id effective_instagram_media_id
     instagram_permalink_url source_instagram_media_id product_set_id template_url template_url_spec image_crops adlabels applink_treatment
     link_og_id object_id object_url`,
  ),
  defaults: ['id'],
};
export const PAGE: NodeType = { type: 'Page', known: set('id name category link fan_count is_published username verification_status'), defaults: ['name', 'id'] };
export const PIXEL: NodeType = {
  type: 'AdsPixel',
  known: set('id name code creation_time last_fired_time is_unavailable data_use_setting owner_business owner_ad_account first_party_cookie_status automatic_matching_fields enable_automatic_matching is_created_by_business'),
  defaults: ['id'],
};
export const CATALOG: NodeType = {
  type: 'ProductCatalog',
  known: set('id name business owner_business product_count feed_count vertical is_catalog_segment da_display_settings'),
  defaults: ['id'],
};
export const REPORT_RUN: NodeType = {
  type: 'AdReportRun',
  known: set('id account_id async_status async_percent_completion date_start date_stop time_ref time_completed is_running emails friendly_name schedule_id async_report_url error_code error_message error_subcode error_user_title error_user_msg'),
  defaults: ['id', 'account_id', 'time_ref', 'time_completed', 'async_status', 'async_percent_completion', 'date_start', 'date_stop', 'error_code', 'error_message', 'error_subcode', 'error_user_title', 'error_user_msg', 'is_running'],
};

function acctOf(world: World, bare: string): AdAccount {
  return world.accountByBareId.get(bare)!;
}

export function userValues(u: WorldUser): Record<string, unknown> {
  const [first, ...rest] = u.name.split(' ');
  return { id: u.id, name: u.name, first_name: first, last_name: rest.join(' ') || undefined, role: u.kind === 'system_user' ? 'ADMIN' : undefined };
}

export function businessValues(world: World, b: Business): Record<string, unknown> {
  const page = world.pages.find((p) => p.id === b.ownedPageIds[0]);
  return {
    id: b.id,
    name: b.name,
    created_time: graphTime(b.createdTime, 'UTC'),
    updated_time: graphTime(b.createdTime + 86400 * 30, 'UTC'),
    verification_status: 'verified',
    timezone_id: 1,
    primary_page: page ? { id: page.id, name: page.name } : undefined,
    link: `https://business.facebook.com/business/${b.id}`,
    vertical: b.vertical,
    is_hidden: false,
  };
}

export function accountValues(world: World, a: AdAccount, amountSpentMinor: number, permittedTasks?: string[]): Record<string, unknown> {
  const biz = a.ownerBusinessId ? world.businesses.find((b) => b.id === a.ownerBusinessId) : undefined;
  const now = DateTime.fromSeconds(world.clock.nowUnix, { zone: a.timezone });
  return {
    id: a.id,
    account_id: a.accountId,
    name: a.name,
    account_status: a.accountStatus,
    disable_reason: 0,
    currency: a.currency.code,
    timezone_id: a.timezoneId,
    timezone_name: a.timezone,
    timezone_offset_hours_utc: now.offset / 60,
    amount_spent: String(amountSpentMinor),
    balance: '0',
    spend_cap: '0',
    min_daily_budget: a.currency.offset === 1 ? 150 : 100,
    business: biz ? { id: biz.id, name: biz.name } : undefined,
    owner: biz ? biz.id : world.users.find((u) => u.accountIds.includes(a.accountId))?.id,
    created_time: graphTime(a.createdTime, a.timezone),
    age: Math.round(((world.clock.nowUnix - a.createdTime) / 86400) * 1000) / 1000,
    is_personal: a.isPersonal ? 1 : 0,
    is_prepay_account: false,
    capabilities: [],
    user_tasks: ['DRAFT', 'ANALYZE', 'ADVERTISE', 'MANAGE'],
    end_advertiser: biz ? biz.id : undefined,
    end_advertiser_name: biz ? biz.name : undefined,
    business_country_code: a.countries[0],
    is_attribution_spec_system_default: true,
    attribution_spec: [
      { event_type: 'CLICK_THROUGH', window_days: 7 },
      { event_type: 'VIEW_THROUGH', window_days: 1 },
    ],
    permitted_tasks: permittedTasks,
  };
}

function budgetFields(world: World, n: { dailyBudget: number | null; lifetimeBudget: number | null; id: string }): Record<string, unknown> {
  const b = n.dailyBudget ?? n.lifetimeBudget;
  if (b === null) return {};
  // budget_remaining: a deterministic share of the budget still unspent today.
  const rem = Math.floor(b * (0.1 + 0.8 * ((parseInt(n.id.slice(-4), 10) + world.clock.epoch * 37) % 100) / 100));
  return { daily_budget: n.dailyBudget === null ? undefined : String(n.dailyBudget), lifetime_budget: n.lifetimeBudget === null ? undefined : String(n.lifetimeBudget), budget_remaining: String(rem) };
}

export function campaignValues(world: World, c: Campaign): Record<string, unknown> {
  const tz = acctOf(world, c.accountId).timezone;
  return {
    id: c.id,
    account_id: c.accountId,
    name: c.name,
    objective: c.objective,
    status: c.status,
    configured_status: c.status,
    effective_status: effectiveStatus(world, c),
    buying_type: 'AUCTION',
    bid_strategy: c.dailyBudget !== null || c.lifetimeBudget !== null ? c.bidStrategy : undefined,
    ...budgetFields(world, c),
    budget_remaining: c.dailyBudget !== null || c.lifetimeBudget !== null ? budgetFields(world, c)['budget_remaining'] : '0',
    special_ad_categories: [],
    special_ad_category: 'NONE',
    smart_promotion_type: 'GUIDED_CREATION',
    source_campaign_id: '0',
    budget_rebalance_flag: false,
    pacing_type: ['standard'],
    can_use_spend_cap: true,
    created_time: graphTime(c.createdTime, tz),
    start_time: graphTime(c.createdTime, tz),
    stop_time: c.lifetimeBudget !== null ? graphTime(c.createdTime + 86400 * 60, tz) : undefined,
    updated_time: graphTime(c.updatedTime, tz),
  };
}

export function adsetValues(world: World, s: AdSet): Record<string, unknown> {
  const tz = acctOf(world, s.accountId).timezone;
  return {
    id: s.id,
    account_id: s.accountId,
    campaign_id: s.campaignId,
    campaign: { id: s.campaignId },
    name: s.name,
    status: s.status,
    configured_status: s.status,
    effective_status: effectiveStatus(world, s),
    ...budgetFields(world, s),
    budget_remaining: budgetFields(world, s)['budget_remaining'] ?? '0',
    bid_amount: s.bidAmount ?? undefined, // a JSON number (facts §10.3)
    bid_strategy: s.bidStrategy,
    bid_info: s.bidAmount !== null ? { ACTIONS: s.bidAmount } : undefined,
    billing_event: s.billingEvent,
    optimization_goal: s.optimizationGoal,
    promoted_object: s.pixelId ? { pixel_id: s.pixelId, custom_event_type: 'PURCHASE' } : s.pageId ? { page_id: s.pageId } : undefined,
    targeting: { age_min: 18, age_max: 65, geo_locations: { countries: s.countries, location_types: ['home', 'recent'] }, publisher_platforms: ['facebook', 'instagram', 'audience_network', 'messenger'] },
    destination_type: 'WEBSITE',
    is_dynamic_creative: false,
    attribution_spec: [
      { event_type: 'CLICK_THROUGH', window_days: 7 },
      { event_type: 'VIEW_THROUGH', window_days: 1 },
    ],
    created_time: graphTime(s.createdTime, tz),
    start_time: graphTime(s.createdTime, tz),
    updated_time: graphTime(s.updatedTime, tz),
  };
}

export function adValues(world: World, a: Ad): Record<string, unknown> {
  const tz = acctOf(world, a.accountId).timezone;
  const set = world.byId.get(a.adsetId) as AdSet;
  return {
    id: a.id,
    account_id: a.accountId,
    campaign_id: a.campaignId,
    adset_id: a.adsetId,
    campaign: { id: a.campaignId },
    adset: { id: a.adsetId },
    name: a.name,
    status: a.status,
    configured_status: a.status,
    effective_status: effectiveStatus(world, a),
    creative: { id: a.creativeId },
    bid_amount: a.bidAmount ?? undefined,
    bid_type: a.bidAmount !== null ? 'ABSOLUTE_OCPM' : 'CPM',
    tracking_specs: set.pixelId ? [{ 'action.type': ['offsite_conversion'], fb_pixel: [set.pixelId] }] : [{ 'action.type': ['post_engagement'], page: [set.pageId], post: [a.creativeId] }],
    conversion_specs: [{ 'action.type': ['offsite_conversion'], 'conversion_id': [set.pixelId ?? '0'] }],
    targeting: adsetValues(world, set)['targeting'],
    source_ad_id: '0',
    last_updated_by_app_id: world.appId,
    preview_shareable_link: `https://fb.me/sbx${a.id.slice(-8)}`,
    created_time: graphTime(a.createdTime, tz),
    updated_time: graphTime(a.updatedTime, tz),
  };
}

export function creativeValues(c: Creative): Record<string, unknown> {
  const story = `${c.pageId}_${c.postId}`;
  const thumb = `https://scontent.sandbox.invalid/t45/${c.imageHash}_p64x64.jpg`;
  return {
    id: c.id,
    account_id: c.accountId,
    name: c.name,
    status: c.status,
    title: c.title,
    body: c.body,
    object_type: c.objectType,
    object_story_id: story,
    effective_object_story_id: story,
    object_story_spec:
      c.objectType === 'VIDEO'
        ? { page_id: c.pageId, video_data: { video_id: c.videoId, title: c.title, message: c.body, call_to_action: { type: c.callToAction, value: { link: c.link } } } }
        : { page_id: c.pageId, link_data: { link: c.link, message: c.body, name: c.title, image_hash: c.imageHash, call_to_action: { type: c.callToAction } } },
    call_to_action_type: c.callToAction,
    image_hash: c.objectType === 'VIDEO' ? undefined : c.imageHash,
    image_url: c.objectType === 'VIDEO' ? undefined : `https://scontent.sandbox.invalid/t45/${c.imageHash}.jpg`,
    thumbnail_url: thumb,
    video_id: c.videoId ?? undefined,
    link_url: c.link,
    url_tags: 'utm_source=facebook&utm_medium=paid',
    actor_id: c.pageId,
  };
}

export function pageValues(p: Page): Record<string, unknown> {
  return { id: p.id, name: p.name, category: p.category, link: `https://www.facebook.com/${p.id}`, fan_count: p.fanCount, is_published: true, verification_status: 'not_verified' };
}

export function pixelValues(world: World, p: Pixel): Record<string, unknown> {
  const biz = p.ownerBusinessId ? world.businesses.find((b) => b.id === p.ownerBusinessId) : undefined;
  const acct = p.ownerAccountId ? world.accountByBareId.get(p.ownerAccountId) : undefined;
  return {
    id: p.id,
    name: p.name,
    code: `<!-- Meta Pixel Code (sandbox) ${p.id} -->`,
    creation_time: graphTime(p.createdTime, 'UTC'),
    last_fired_time: graphTime(p.lastFiredTime, 'UTC'),
    is_unavailable: false,
    data_use_setting: 'ADVERTISING_AND_ANALYTICS',
    owner_business: biz ? { id: biz.id, name: biz.name } : undefined,
    owner_ad_account: acct ? { account_id: acct.accountId, id: acct.id } : undefined,
    first_party_cookie_status: 'FIRST_PARTY_COOKIE_ENABLED',
    enable_automatic_matching: true,
    automatic_matching_fields: ['em', 'ph'],
  };
}

export function catalogValues(world: World, c: Catalog): Record<string, unknown> {
  const biz = world.businesses.find((b) => b.id === c.ownerBusinessId)!;
  return { id: c.id, name: c.name, business: { id: biz.id, name: biz.name }, owner_business: { id: biz.id, name: biz.name }, product_count: c.productCount, feed_count: 1, vertical: c.vertical, is_catalog_segment: false };
}
