// The slice of the Graph client the tap uses. Typing the tap against this port (not the whole class)
// keeps readers testable with a loopback sandbox or a small fake; the shapes live in graph/client.ts.
import type { GraphClient } from '../graph/client.js';

export type { TokenRef, CallStats, GraphCallOptions as GraphCall } from '../graph/client.js';
export type { BatchAnswer, BatchRequest } from '../graph/batch.js';

export type GraphPort = Pick<GraphClient, 'request' | 'requestBatch' | 'paginate' | 'statsFor' | 'deadTokens' | 'holdAfterThrottle'>;
