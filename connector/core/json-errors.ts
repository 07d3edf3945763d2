// Where a JSON text fails to parse, said as an editor shows it (line and column) and without quoting
// the text: config, state and environment values hold tokens, and V8 words some of its errors with
// the characters around the fault, which for a token written without its quotes are the token's own.
import { parse as losslessParse } from 'lossless-json';

/**
 * V8's wording that quotes the text instead of giving a position: `Unexpected token 's', ..."token":
 * sbx_agency"... is not valid JSON` (Node 20). Group 1 is the character.
 */
const QUOTING_ERROR = /^Unexpected token '(.)', .* is not valid JSON$/s;

/** The offset lossless-json gives for the same fault (it always says `at position N`). */
function offsetOfFault(text: string): number | undefined {
  try {
    losslessParse(text);
  } catch (err) {
    const m = /at position (\d+)/.exec(err instanceof Error ? err.message : String(err));
    if (m) return Number(m[1]);
  }
  return undefined;
}

/**
 * Where a JSON parser (JSON.parse, lossless-json) stopped, as an editor shows it: `line L, column C:
 * <problem> (not valid JSON)`, 1-based. Node 20 gives only a character offset, which nobody can find
 * in a multi-line config by eye, or none at all, quoting the text around the fault instead.
 */
export function whereJsonFails(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const pos = /\s*(?:in JSON )?at position (\d+)(?: \(line \d+ column \d+\))?/.exec(message);
  let at = pos ? Number(pos[1]) : /end of (JSON )?input/.test(message) ? text.length : undefined;
  let problem = (pos ? message.slice(0, pos.index) + message.slice(pos.index + pos[0].length) : message).trim();
  const quoting = QUOTING_ERROR.exec(problem);
  if (quoting) {
    // A letter or digit where a value belongs is nearly always a string without its quotes (a token).
    problem = /[\p{L}\p{N}_-]/u.test(quoting[1]!) ? 'a value that is not JSON: text needs double quotes' : `Unexpected token '${quoting[1]!}'`;
    at = offsetOfFault(text);
  }
  if (at === undefined) return `is not valid JSON: ${problem}`;
  const before = text.slice(0, at);
  const lineStart = before.lastIndexOf('\n') + 1;
  return `line ${before.split('\n').length}, column ${at - lineStart + 1}: ${problem} (not valid JSON)`;
}
