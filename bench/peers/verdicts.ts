// Whose fault a rejected peer request is. Field, edge and enum rejections are judged against Meta's SDK
// metadata (connector/sandbox/meta-sdk/graph-api.json): a name the SDK does not have is the peer's
// fault (the real API refuses it too); a name the SDK has is a sandbox bug. Anything else needs a
// known reason in KNOWN below, or it counts as a sandbox bug until someone explains it.
import { graphApiMeta } from '../../connector/sandbox/meta.js';
import { GRAPH_TYPE_NAME } from '../../connector/sandbox/meta-sdk/rules.js';
import type { RejectedCall } from '../../connector/sandbox/stats.js';
import type { PeerName } from './run.js';

export interface Verdict {
  /** sandbox: the SDK says the request is valid (a sandbox bug); peer: the real API refuses it too; expected: a normal answer the client handles. */
  kind: 'sandbox' | 'peer' | 'expected';
  reason: string;
}

/**
 * Streams a peer fault stops (the peer aborts the stream, or the whole run, on the rejection): the
 * runner's second pass leaves them out so the peer's other streams are exercised too.
 */
export const PEER_FAULT_STREAMS: Readonly<Record<PeerName, Readonly<Record<string, string>>>> = {
  airbyte: {
    // GET /act_X/adimages asks for `filename`: a creation param of AdAccount.create_ad_image, not an
    // AdImage field (facebook-business 25.0.3 lists it after the readable run with bytes/copy_from;
    // facebook-nodejs-business-sdk 24.0.1 AdImage.Fields omits it).
    images: 'asks AdImage for filename, a creation param, not a field',
  },
  meltano: {
    // GET /me/adaccounts asks for ~37 flattened sub-object names (agency_client_declaration_*,
    // funding_source_details_*, …) that are not AdAccount fields; the tap then exits.
    adaccounts: 'asks AdAccount for flattened sub-object names that are not fields',
    // GET /act_X/advideos asks AdVideo for account_id, which it does not have (Airbyte's videos stream
    // drops account_id from its request for that reason, streams.py Videos.fields), and for flattened
    // names (from_object, status_processing_progress, status_value).
    videos: 'asks AdVideo for account_id and flattened sub-object names that are not fields',
    // GET /act_X/adcreatives asks for page_link/page_message (flattened names) and for
    // effective_instagram_story_id, instagram_actor_id, instagram_story_id, gone from the SDK's AdCreative
    // (whether v22.0, the version it calls, still has those three the SDK cannot say; the flattened names fail anyway).
    creatives: 'asks AdCreative for flattened names (page_link, page_message) and instagram_* fields the SDK no longer has',
  },
  singer: {},
};

const SDK_CLASS_OF_GRAPH_TYPE = new Map(Object.entries(GRAPH_TYPE_NAME).map(([sdk, graph]) => [graph, sdk]));

/** Reasons for rejections that are not a matter of names, each checked by hand. */
const KNOWN: Array<{ peer?: PeerName; code: number; subcode?: number; message: RegExp; verdict: Verdict }> = [
  {
    code: 2601,
    subcode: 1815107,
    message: /Error accessing adreport job/,
    verdict: { kind: 'expected', reason: 'results read before the run completed; the client polls and retries (facts §5.1)' },
  },
];

function sdk(): { stamp: string; nodes: ReturnType<typeof graphApiMeta>['nodes'] } {
  const m = graphApiMeta();
  return { stamp: `${m.stamp.sdk_package} ${m.stamp.sdk_version}`, nodes: m.nodes };
}

export function verdictOf(peer: PeerName, r: RejectedCall): Verdict {
  const { stamp, nodes } = sdk();
  const nonexisting = /^\(#100\) Tried accessing nonexisting field \((.+)\) on node type \((\w+)\)$/.exec(r.message);
  if (nonexisting) {
    const [, name, graphType] = nonexisting as unknown as [string, string, string];
    const cls = SDK_CLASS_OF_GRAPH_TYPE.get(graphType) ?? graphType;
    const node = nodes[cls];
    if (!node) return { kind: 'sandbox', reason: `node type ${graphType} is not in graph-api.json` };
    const isField = Object.hasOwn(node.fields, name);
    const isEdge = node.edges !== undefined && Object.hasOwn(node.edges, name);
    if (isField || isEdge) return { kind: 'sandbox', reason: `${stamp} has ${isField ? 'field' : 'edge'} ${cls}.${name}` };
    const others = (r.params['fields'] ?? '').replace(/[[\]'" ]/g, '').split(',').filter((f) => f && !Object.hasOwn(node.fields, f.replace(/\{.*$/, '')));
    return { kind: 'peer', reason: `${cls} has no field or edge ${name} in ${stamp}${others.length > 1 ? ` (nor ${others.length - 1} more it asked for: ${others.filter((f) => f !== name).slice(0, 12).join(', ')}${others.length > 13 ? ', …' : ''})` : ''}` };
  }
  const insights = /^\(#100\) (.+) (?:is|are) not valid for fields param/.exec(r.message);
  if (insights) {
    const names = insights[1]!.split(', ');
    const valid = names.filter((n) => Object.hasOwn(nodes['AdsInsights']!.fields, n));
    if (valid.length) return { kind: 'sandbox', reason: `${stamp} has AdsInsights fields ${valid.join(', ')}` };
    return { kind: 'peer', reason: `not AdsInsights fields in ${stamp}` };
  }
  const enumValue = /^\(#100\) (\w+)(\[\d+\])? must be one of the following values/.exec(r.message);
  if (enumValue) return { kind: 'peer', reason: `value outside ${stamp}'s enum for ${enumValue[1]!}: ${r.params[enumValue[1]!] ?? ''}` };
  const known = KNOWN.find((k) => (k.peer === undefined || k.peer === peer) && k.code === r.code && (k.subcode === undefined || k.subcode === r.subcode) && k.message.test(r.message));
  if (known) return known.verdict;
  return { kind: 'sandbox', reason: 'no known reason: check whether Meta would accept this request' };
}
