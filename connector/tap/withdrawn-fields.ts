// Fields Meta stops serving between two runs. Graph then refuses every read that asks for one with
// (#100) and no subcode, naming it: "(#100) Tried accessing nonexisting field (daily_imps) on node
// type (AdCampaign)" (facebook-php-business-sdk#294, facebook-python-business-sdk#106,
// facebook-java-business-sdk#215) or, for insights, "(#100) age_targeting, gender_targeting, … are not
// valid for fields param after V19.0" (airbytehq/airbyte#35334). The table in graph/errors.ts
// classifies it by code (config, exit 2); here Meta's message is read only to learn WHICH requested
// field to leave out: a name that is not one the tap asked for changes nothing. Entity reads and insights
// report runs (refused at creation or at the results read) both use it. The dropped field stays
// out for the rest of the run, its column is null in the rows, and the catalog is not changed mid-run.
import { ConfigError, ConnectorError } from '../core/errors.js';
import type { Logger } from '../core/log.js';

/** One field left out of a stream's reads, for the run summary. */
export interface WithdrawnField {
  stream: string;
  field: string;
  /** Meta's answer that named it. */
  message: string;
}

const NONEXISTING = /Tried accessing nonexisting field \(([A-Za-z0-9_]+)\) on node type/;
const NOT_VALID = /\(#100\) ((?:[A-Za-z0-9_.]+)(?:, [A-Za-z0-9_.]+)*) (?:is|are) not valid for fields param/;

/** The requested fields a Graph (#100) answer names as not (or no longer) existing. */
export function withdrawnFieldsIn(message: string, requested: readonly string[]): string[] {
  const one = NONEXISTING.exec(message)?.[1];
  const named = one !== undefined ? [one] : (NOT_VALID.exec(message)?.[1]?.split(', ') ?? []);
  return [...new Set(named.filter((f) => requested.includes(f)))];
}

/** Run-wide memory of the fields left out, per stream; warns once per field. */
export class WithdrawnFields {
  private readonly byStream = new Map<string, Set<string>>();
  readonly dropped: WithdrawnField[] = [];
  /** A key or replication key Meta withdrew: the run ends with exit 2 (config), whatever else completed. */
  keyWithdrawn: ConfigError | undefined;

  constructor(private readonly log: Logger) {}

  /** The fields to request for `stream`: `fields` without the ones dropped this run. */
  keep(stream: string, fields: readonly string[]): string[] {
    const gone = this.byStream.get(stream);
    return gone ? fields.filter((f) => !gone.has(f)) : [...fields];
  }

  /**
   * Whether `err` is Graph refusing requested fields that it names; if so they are dropped for the
   * rest of the run (the caller asks again without them). A key or replication key cannot be dropped:
   * that is a ConfigError naming it.
   */
  absorb(err: unknown, stream: string, requested: readonly string[], keys: readonly string[]): boolean {
    if (!(err instanceof ConnectorError) || err.kind !== 'config' || err.context['graph_code'] !== 100 || err.context['graph_subcode'] !== undefined) return false;
    const fields = withdrawnFieldsIn(err.message, requested);
    if (fields.length === 0) return false;
    const key = fields.find((f) => keys.includes(f));
    if (key !== undefined) {
      throw (this.keyWithdrawn = new ConfigError(`Meta no longer serves ${key} on the ${stream} stream (${err.message}); it is a key or the replication key of ${stream}, so the stream cannot be read without it`, {
        hint: `Meta withdrew a field this connector relies on: check Meta's Marketing API changelog for ${key}, and update tap-facebook-ads (or pin config.api_version to a version that still serves it).`,
        context: { ...err.context, stream, field: key },
      }));
    }
    const set = this.byStream.get(stream) ?? new Set<string>();
    this.byStream.set(stream, set);
    for (const field of fields) {
      if (set.has(field)) continue;
      set.add(field);
      this.dropped.push({ stream, field, message: err.message });
      this.log.warn(`Meta no longer serves ${field} on the ${stream} stream: it is left out of every ${stream} read for the rest of this run and is null in these rows`, {
        stream,
        field,
        graph_code: 100,
        hint: `Meta withdrew the field (or it is not valid at config.api_version). Deselect ${field} of ${stream} in the catalog to silence this, and check Meta's Marketing API changelog for a replacement.`,
      });
    }
    return true;
  }
}
