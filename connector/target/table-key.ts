// The key a table's rows were loaded under, as kept beside the table (Destination.tableKey): its
// fingerprint and columns, whether a SCHEMA's key_properties are that key (in any order), and what
// changed when they are not, so a re-key is refused saying exactly that.
import { createHash } from 'node:crypto';

/**
 * Where the key a table's rows were loaded under is kept, so a SCHEMA that re-keys the stream is
 * refused instead of MERGEd on other columns: DuckDB keeps one row per table in this table (its
 * columns as JSON and the fingerprint), BigQuery labels on the table (KEY_LABEL holds the
 * fingerprint, KEY_COLUMNS_LABEL_PREFIX<i> the columns: keyColumnLabels).
 */
export const KEYS_TABLE = '_sdc_table_keys';
export const KEY_LABEL = 'sdc_key';
export const KEY_COLUMNS_LABEL_PREFIX = 'sdc_key_columns_';

/** A table's recorded key: the fingerprint always; the columns when the record holds them (DuckDB always, BigQuery since the labels hold them too). */
export interface RecordedKey {
  fingerprint: string;
  columns?: readonly string[] | undefined;
}

const hash = (columns: readonly string[]): string => createHash('sha256').update(JSON.stringify(columns)).digest('hex').slice(0, 32);

/**
 * The fingerprint of a key, whatever the order its columns are listed in: 32 lowercase hex digits
 * (a valid BigQuery label value) of the columns sorted. A MERGE matches rows on all key columns at
 * once, so [id, a] and [a, id] are the same key. It is the hash earlier versions took of the columns
 * in the order listed, for that order: a key listed sorted was fingerprinted the same then.
 */
export function keyFingerprint(columns: readonly string[]): string {
  return hash([...columns].sort());
}

/**
 * Keys of at most this many columns recorded by an earlier version (a hash of the columns in the
 * order listed then) are matched in every order of the columns (8! = 40,320 hashes, under 0.2 s
 * here, once per SCHEMA); a longer one only in the order listed now. Only a BigQuery table an earlier
 * version labelled has such a record without its columns; it is rewritten in full once matched.
 */
const LEGACY_ORDERS_UP_TO = 8;

/** Whether `recorded` is in this version's form: the order-free fingerprint of the columns it holds. */
export function isCurrentRecord(recorded: RecordedKey): boolean {
  return recorded.columns !== undefined && recorded.fingerprint === keyFingerprint(recorded.columns);
}

/** The recorded columns when the record holds them and its fingerprint is theirs (in either form). */
function knownColumns(recorded: RecordedKey): readonly string[] | undefined {
  const c = recorded.columns;
  return c !== undefined && (recorded.fingerprint === keyFingerprint(c) || recorded.fingerprint === hash(c)) ? c : undefined;
}

/** Whether `columns`, in any order, are the key the table's rows were loaded under. */
export function isRecordedKey(recorded: RecordedKey, columns: readonly string[]): boolean {
  if (recorded.fingerprint === keyFingerprint(columns)) return true;
  const known = knownColumns(recorded);
  if (known) return sameSet(known, columns);
  if (recorded.fingerprint === hash(columns)) return true;
  if (columns.length > LEGACY_ORDERS_UP_TO) return false;
  return someOrder(columns, (o) => hash(o) === recorded.fingerprint);
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((c) => b.includes(c)) && b.every((c) => a.includes(c));

/** Whether `test` holds for some order of `columns`: Heap's algorithm, one swap per order, stopping at the first. */
function someOrder(columns: readonly string[], test: (order: readonly string[]) => boolean): boolean {
  const a = [...columns];
  const c = new Array<number>(a.length).fill(0);
  if (test(a)) return true;
  for (let i = 1; i < a.length;) {
    if (c[i]! < i) {
      const j = i % 2 === 0 ? 0 : c[i]!;
      [a[j], a[i]] = [a[i]!, a[j]!];
      if (test(a)) return true;
      c[i]!++;
      i = 1;
    } else {
      c[i] = 0;
      i++;
    }
  }
  return false;
}

const listed = (columns: readonly string[]): string => (columns.length ? columns.join(', ') : 'none');

/**
 * What differs between the recorded key and `columns` (isRecordedKey false), for the refusal: the
 * recorded columns and those added and removed, or, for a record without its columns (a BigQuery
 * table labelled by an earlier version), that they are not known and what was checked.
 */
export function keyChange(recorded: RecordedKey, columns: readonly string[]): { recorded: string; change: string } {
  const known = knownColumns(recorded);
  if (known) {
    const added = columns.filter((c) => !known.includes(c));
    const removed = known.filter((c) => !columns.includes(c));
    return { recorded: `(${listed(known)})`, change: [...(added.length ? [`${added.join(', ')} added`] : []), ...(removed.length ? [`${removed.join(', ')} removed`] : [])].join(', ') };
  }
  if (columns.length > LEGACY_ORDERS_UP_TO) {
    return {
      recorded: '(recorded by an earlier version as a fingerprint, without its columns)',
      change: `it is not these ${columns.length} columns in the order listed, the one order checked for a key of more than ${LEGACY_ORDERS_UP_TO} columns recorded so (if they are the same columns, list them once in the order the table was first loaded with: the key is then recorded in full, in any order from then on)`,
    };
  }
  return { recorded: '(recorded by an earlier version as a fingerprint, without its columns)', change: 'it is not these columns in any order' };
}

/** Longest label value BigQuery takes (cloud.google.com/bigquery/docs/labels-intro#requirements). */
const LABEL_VALUE_CHARS = 63;
/** Labels the columns may take (a table holds at most 64): a longer key is recorded by its fingerprint only. */
const MAX_KEY_COLUMN_LABELS = 16;

/**
 * The labels recording `columns` beside KEY_LABEL: the names joined by "-" (never in a column name,
 * fields.ts SAFE_IDENTIFIER, and allowed in a label value) cut into 63-character values, and null
 * for each such label of `have` beyond them (a patch merges labels; null removes one).
 */
export function keyColumnLabels(columns: readonly string[], have: Readonly<Record<string, string>> = {}): Record<string, string | null> {
  const text = columns.join('-');
  const parts = columns.length === 0 ? [''] : (text.match(new RegExp(`.{1,${LABEL_VALUE_CHARS}}`, 'g')) ?? []);
  const out: Record<string, string | null> = {};
  if (parts.length <= MAX_KEY_COLUMN_LABELS) parts.forEach((p, i) => (out[`${KEY_COLUMNS_LABEL_PREFIX}${i}`] = p));
  for (const k of Object.keys(have)) if (k.startsWith(KEY_COLUMNS_LABEL_PREFIX) && !(k in out)) out[k] = null;
  return out;
}

/** The columns keyColumnLabels recorded in `labels`, or undefined when there are none. */
export function keyColumnsFromLabels(labels: Readonly<Record<string, string>>): string[] | undefined {
  const parts: string[] = [];
  for (let i = 0; labels[`${KEY_COLUMNS_LABEL_PREFIX}${i}`] !== undefined; i++) parts.push(labels[`${KEY_COLUMNS_LABEL_PREFIX}${i}`]!);
  if (parts.length === 0) return undefined;
  const text = parts.join('');
  return text === '' ? [] : text.split('-');
}
