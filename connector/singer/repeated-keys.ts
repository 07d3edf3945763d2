// Finds a Singer line whose "type" or "stream" key is given twice. JSON.parse (like Python's
// json.loads) keeps the last one silently, while the loader routes canonical lines by their first
// keys: an ambiguous message could land in either table, so it is refused instead. Every line pays
// for two quick scans; the top-level keys are read only when a key's name occurs twice.

/** The keys that say what a message is and where it goes. */
const ROUTING_KEYS = ['type', 'stream'] as const;
type RoutingKey = (typeof ROUTING_KEYS)[number];

const QUOTE = 34;
const BACKSLASH = 92;

/** A routing key's name in quotes (a key, or a string value that reads the same). */
const NAMES = /"(?:type|stream)"/g;

/**
 * Whether each routing key's name occurs at most once in the text, and none is spelled with an
 * escaped lowercase ASCII letter (\u0061–\u007a, the only other way to write one). About 1.4 µs on
 * a 2 KB line, a tenth of JSON.parse: `match` of one regex without captures and an indexOf for the
 * rare backslash (one regex for both, or an exec loop with captures, costs twice as much).
 */
function plainlyOnce(text: string): boolean {
  const names = text.match(NAMES);
  if (names && names.length > 1 && (names.length > 2 || names[0] === names[1])) return false;
  for (let i = text.indexOf('\\u00'); i >= 0; i = text.indexOf('\\u00', i + 4)) {
    const c = text.charCodeAt(i + 4);
    if (c === 54 || c === 55) return false; // \u006x or \u007x
  }
  return true;
}

/** Index of the quote closing the string token opening at `start` (valid JSON assumed). */
function stringEnd(text: string, start: number): number {
  let q = text.indexOf('"', start + 1);
  for (;;) {
    let slashes = 0;
    while (text.charCodeAt(q - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q;
    q = text.indexOf('"', q + 1);
  }
}

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;

function skipSpace(text: string, i: number): number {
  while (isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index just past the JSON value starting at `i` (valid JSON assumed). */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return stringEnd(text, i) + 1;
  if (c !== 123 && c !== 91) {
    // A number, true, false or null: up to the next delimiter.
    while (i < text.length && !isSpace(text.charCodeAt(i)) && text[i] !== ',' && text[i] !== '}' && text[i] !== ']') i++;
    return i;
  }
  // One tight pass over the container (a char loop is ~5x faster here than jumping between
  // quotes with indexOf: a record holds many short strings).
  let depth = 0;
  let inString = false;
  for (; i < text.length; i++) {
    const d = text.charCodeAt(i);
    if (inString) {
      if (d === BACKSLASH) i++;
      else if (d === QUOTE) inString = false;
    } else if (d === QUOTE) inString = true;
    else if (d === 123 || d === 91) depth++;
    else if ((d === 125 || d === 93) && --depth === 0) return i + 1;
  }
  return i;
}

/** The names of the top-level keys of a JSON object text, in order (valid JSON assumed; [] if not an object). */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== 123) return keys;
  i = skipSpace(text, i + 1);
  while (text.charCodeAt(i) === QUOTE) {
    const end = stringEnd(text, i);
    const token = text.slice(i, end + 1);
    keys.push(token.includes('\\') ? (JSON.parse(token) as string) : token.slice(1, -1));
    i = skipSpace(text, end + 1) + 1; // past the colon
    i = skipSpace(text, skipValue(text, skipSpace(text, i)));
    if (text[i] !== ',') break;
    i = skipSpace(text, i + 1);
  }
  return keys;
}

/**
 * The routing key ("type" or "stream") given more than once at the top level of a JSON object
 * text that JSON.parse accepted, or undefined. Names inside the record or in string values never count.
 */
export function repeatedRoutingKey(text: string): RoutingKey | undefined {
  if (plainlyOnce(text)) return undefined;
  const keys = topLevelKeys(text);
  return ROUTING_KEYS.find((k) => keys.indexOf(k) !== keys.lastIndexOf(k));
}
