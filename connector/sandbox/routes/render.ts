// Field values of every node type, typed as the API types them (facts §2.2, §2.3, §3.2): money and
// budgets as strings in minor units, a few integers as JSON numbers, datetimes as ±HHMM strings in
// the account's time zone (facts §3.4, §10.5).
import { DateTime } from 'luxon';
import { nodeType } from '../meta.js';
import { effectiveStatus, type Ad, type AdAccount, type AdSet, type Business, type Campaign, type Catalog, type Creative, type Page, type Pixel, type World, type WorldUser } from '../world.js';

export function graphTime(unix: number, tz: string): string {
  return DateTime.fromSeconds(unix, { zone: tz }).toFormat("yyyy-MM-dd'T'HH:mm:ssZZZ");
}

// Node types as Meta's SDK declares them (meta.ts): the values below may leave SDK fields out
// (absent, as Graph omits empty fields), never add a field the SDK does not have.
export const USER = nodeType('User');
export const SYSTEM_USER = nodeType('SystemUser');
export const BUSINESS_USER = nodeType('BusinessUser');
export const BUSINESS = nodeType('Business');
export const AD_ACCOUNT = nodeType('AdAccount');
export const CLIENT_AD_ACCOUNT = nodeType('AdAccount', 'Business/client_ad_accounts');
export const CAMPAIGN = nodeType('Campaign');
export const AD_SET = nodeType('AdSet');
export const AD = nodeType('Ad');
export const AD_CREATIVE = nodeType('AdCreative');
export const PAGE = nodeType('Page');
export const PIXEL = nodeType('AdsPixel');
export const CATALOG = nodeType('ProductCatalog');
export const REPORT_RUN = nodeType('AdReportRun');
export const ASSIGNED_USER = nodeType('AssignedUser', 'AdAccount/assigned_users');

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
  const rem = Math.floor(b * (0.1 + (0.8 * ((parseInt(n.id.slice(-4), 10) + world.clock.epoch * 37) % 100)) / 100));
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
    conversion_specs: [{ 'action.type': ['offsite_conversion'], conversion_id: [set.pixelId ?? '0'] }],
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
