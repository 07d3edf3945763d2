// Generated from spec.json (the tap config schema, its source of truth) so TypeScript can derive
// TapConfig from it (config.ts). Do not edit: UPDATE_GOLDEN=1 npx mocha tests/golden/spec.test.ts
export const TAP_SPEC = {
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "tap-facebook-ads config",
  "description": "Configuration of the Meta (Facebook) Ads Singer tap. Secrets are marked writeOnly and are never logged.",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "access_token": {
      "type": "string",
      "minLength": 10,
      "writeOnly": true,
      "description": "A Meta access token with ads_read (and business_management for Business Manager discovery). Prefer a non-expiring system-user token."
    },
    "access_tokens": {
      "type": "array",
      "minItems": 1,
      "description": "Several tokens, each reaching its own set of businesses and ad accounts. Accounts reachable by more than one are merged.",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "label",
          "token"
        ],
        "properties": {
          "label": {
            "type": "string",
            "pattern": "^[A-Za-z0-9_.-]{1,64}$",
            "description": "A name for the token used in logs, access lists and errors (letters, digits, _ . -)."
          },
          "token": {
            "type": "string",
            "minLength": 10,
            "writeOnly": true
          }
        }
      }
    },
    "app_secret": {
      "type": "string",
      "minLength": 8,
      "writeOnly": true,
      "description": "App secret; when set every call carries appsecret_proof."
    },
    "app_id": {
      "type": "string",
      "pattern": "^[0-9]+$",
      "description": "App id, used in debug_token checks and messages."
    },
    "account_ids": {
      "type": "array",
      "items": {
        "type": "string",
        "pattern": "^(act_)?[0-9]{1,20}$",
        "description": "ad account id: digits, optionally prefixed act_"
      },
      "description": "Restrict the sync to these ad accounts. Absent: every account any token can reach. ad_accounts still lists every account the tokens reach: those left out are not read, and not marked deleted."
    },
    "business_ids": {
      "type": "array",
      "items": {
        "type": "string",
        "pattern": "^[0-9]{1,20}$",
        "description": "business id: digits"
      },
      "description": "Restrict the sync to the ad accounts these Business Managers reach, and their reading to these businesses' edges. businesses still lists every Business Manager the tokens list; one left out that earlier runs of the state read keeps its edges read, so nothing of it is marked deleted (README: Narrowing account_ids or business_ids)."
    },
    "start_date": {
      "type": "string",
      "anyOf": [
        {
          "format": "date"
        },
        {
          "format": "date-time"
        }
      ],
      "errorMessage": "use YYYY-MM-DD or an RFC 3339 date-time such as 2025-01-01T00:00:00Z",
      "description": "First day of insights to sync for accounts without a bookmark; moved back before the first day an insights bookmark covers, the next run reads the days it adds. YYYY-MM-DD, or an RFC 3339 date-time as Meltano and singer-io configs write it (2025-01-01T00:00:00Z, or with an offset). A date-time counts as the calendar date written in it (time and offset are ignored: 2025-01-01T00:00:00+02:00 is 2025-01-01); like a bare date, that day is then read in each ad account's time zone. Absent: as far back as Meta keeps insights (37 months), so a first run backfills every account's whole history; set it to read less."
    },
    "end_date": {
      "type": "string",
      "anyOf": [
        {
          "format": "date"
        },
        {
          "format": "date-time"
        }
      ],
      "errorMessage": "use YYYY-MM-DD or an RFC 3339 date-time such as 2025-01-31T00:00:00Z",
      "description": "Last day to sync (inclusive), in the same forms as start_date (a date-time counts as the date written in it). Absent: today in each account's time zone."
    },
    "insights_lookback_days": {
      "type": "integer",
      "minimum": 0,
      "maximum": 28,
      "default": 28,
      "description": "Days re-read on every run because Meta restates recent conversions (at most 28)."
    },
    "action_attribution_windows": {
      "type": "array",
      "minItems": 1,
      "uniqueItems": true,
      "items": {
        "type": "string",
        "enum": [
          "1d_view",
          "7d_view",
          "28d_view",
          "1d_click",
          "7d_click",
          "28d_click",
          "1d_ev",
          "dda",
          "default",
          "skan_view",
          "skan_click"
        ]
      },
      "default": [
        "7d_click",
        "1d_view"
      ],
      "description": "Attribution windows requested for actions; recorded in every insights row and in state. 7d_view and 28d_view are refused: Meta no longer returns them since 2026-01-12."
    },
    "use_unified_attribution_setting": {
      "type": "boolean",
      "default": true,
      "description": "Insights parameter: read conversions with each ad set's own attribution setting, as Ads Manager shows them (Meta then ignores use_account_attribution_setting). Recorded in every insights row and in state; changing it re-reads insights from start_date."
    },
    "use_account_attribution_setting": {
      "type": "boolean",
      "default": false,
      "description": "Insights parameter: read conversions with the ad account's attribution setting; needs use_unified_attribution_setting false. Recorded in every insights row and in state; changing it re-reads insights from start_date."
    },
    "action_breakdowns": {
      "type": "array",
      "items": {
        "type": "string"
      },
      "default": [
        "action_type"
      ]
    },
    "include_deleted": {
      "type": "boolean",
      "default": true,
      "description": "Also read ARCHIVED and DELETED campaigns, ad sets, ads."
    },
    "api_version": {
      "type": "string",
      "pattern": "^v[0-9]+\\.0$",
      "default": "v25.0",
      "description": "Graph API version such as v25.0"
    },
    "api_base_url": {
      "type": "string",
      "format": "uri",
      "default": "https://graph.facebook.com",
      "description": "Graph host; tests point it at the loopback sandbox."
    },
    "page_size": {
      "type": "integer",
      "minimum": 1,
      "maximum": 5000,
      "default": 500,
      "description": "Rows per page on edge reads. When Meta answers \"Please reduce the amount of data\" (HTTP 500, code 1) the page is halved, down to 1, for the rest of that edge; the log says so."
    },
    "max_retries": {
      "type": "integer",
      "minimum": 0,
      "maximum": 10,
      "default": 3
    },
    "retry_base_ms": {
      "type": "integer",
      "minimum": 0,
      "default": 1000,
      "description": "Base delay of the exponential backoff."
    },
    "request_timeout_seconds": {
      "type": "number",
      "minimum": 1,
      "default": 120
    },
    "circuit_breaker": {
      "type": "object",
      "additionalProperties": false,
      "default": {},
      "properties": {
        "failures": {
          "type": "integer",
          "minimum": 1,
          "default": 5
        },
        "pause_seconds": {
          "type": "number",
          "minimum": 0,
          "default": 60
        }
      }
    },
    "max_concurrency": {
      "type": "integer",
      "minimum": 1,
      "maximum": 64,
      "default": 4,
      "description": "Parallel requests (accounts, discovery fan-out, insights jobs)."
    },
    "max_api_calls_per_account": {
      "type": "integer",
      "minimum": 1,
      "default": 20000,
      "description": "Ceiling on Graph calls one ad account may spend in one run (retries, insights job polls and each item of a Batch API call included). Reaching it ends that account with exit 7 (retry later); what finished keeps its bookmark, the other accounts go on."
    },
    "usage_pause_threshold": {
      "type": "number",
      "minimum": 1,
      "maximum": 100,
      "default": 75,
      "description": "Slow down when a usage header reports more than this percent."
    },
    "insights_job_timeout_seconds": {
      "type": "number",
      "minimum": 1,
      "default": 1800,
      "description": "Overall limit of one insights job from creation, time in Meta's queue included; a job still queued then ends its report (exit 7), a running one is split."
    },
    "insights_job_stall_seconds": {
      "type": "number",
      "exclusiveMinimum": 0,
      "default": 300,
      "description": "A started job whose completion does not move for this long is abandoned, re-run once, then split; a job still queued (Job Not Started) is never called stalled."
    },
    "insights_poll_interval_seconds": {
      "type": "number",
      "minimum": 0,
      "default": 5
    },
    "insights_max_days_per_job": {
      "type": "integer",
      "minimum": 1,
      "maximum": 93,
      "default": 31
    },
    "insights_reports": {
      "type": "array",
      "description": "Extra insights reports: each is one entry with a name, a level and breakdowns.",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "name",
          "level"
        ],
        "properties": {
          "name": {
            "type": "string",
            "pattern": "^[a-z][a-z0-9_]{0,62}$"
          },
          "level": {
            "type": "string",
            "enum": [
              "account",
              "campaign",
              "adset",
              "ad"
            ]
          },
          "breakdowns": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "action_breakdowns": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "fields": {
            "type": "array",
            "items": {
              "type": "string"
            }
          }
        }
      }
    },
    "token_expiry_warning_days": {
      "type": "integer",
      "minimum": 0,
      "default": 7
    },
    "user_agent": {
      "type": "string"
    }
  },
  "anyOf": [
    {
      "required": [
        "access_token"
      ]
    },
    {
      "required": [
        "access_tokens"
      ]
    }
  ],
  "errorMessage": "give access_token or access_tokens"
} as const;
