// How the bench starts target-bigquery: as its shebang would (its V8 flags), like `fb-ads-elt sync` does.
import { join } from 'node:path';
import { nodeCommand } from '../connector/cli/node-flags.js';
import { REPO_ROOT } from '../connector/core/config.js';

const [node, ...args] = nodeCommand(join(REPO_ROOT, 'bin', 'target-bigquery.js'));
export const TARGET_NODE: string = node ?? process.execPath;
export const TARGET_ARGS: string[] = args;
