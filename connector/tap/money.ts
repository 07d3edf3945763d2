// Minor-unit money → exact decimal strings. Graph returns budgets, bids, amount_spent, spend_cap and
// balance in the currency's minor unit (facts §3.3); the divisor is the currency "offset". Done on
// digit strings, never floats, so 2^53-sized values and cents survive exactly.

/**
 * Currencies without a minor unit in the Marketing API (offset 1): the Meta currencies page (facts §3.3)
 * plus VND (observed). Every other currency has offset 100. A wrong entry makes budgets 100× off.
 */
export const OFFSET_ONE_CURRENCIES: ReadonlySet<string> = new Set(['CLP', 'COP', 'CRC', 'HUF', 'ISK', 'IDR', 'JPY', 'KRW', 'PYG', 'TWD', 'VND']);

export function currencyOffset(currency: string | undefined | null): 1 | 100 {
  return currency && OFFSET_ONE_CURRENCIES.has(currency.toUpperCase()) ? 1 : 100;
}

const INTEGER_RE = /^-?\d+$/;
const DECIMAL_RE = /^-?\d+(\.\d+)?$/;

/** The raw minor value as an integer string ("5000"), accepting Graph strings and JSON numbers. */
export function minorString(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  const s = typeof value === 'number' ? (Number.isInteger(value) ? value.toFixed(0) : String(value)) : String(value).trim();
  if (INTEGER_RE.test(s)) return s.replace(/^(-?)0+(?=\d)/, '$1');
  // Some fixtures carry "600.0": accept a zero fraction, refuse anything that is not a whole minor unit.
  const m = /^(-?\d+)\.0+$/.exec(s);
  return m ? m[1]! : null;
}

/** Minor units → major-unit decimal string: USD "12345" → "123.45", JPY "5000" → "5000". */
export function minorToMajor(value: unknown, currency: string | undefined | null): string | null {
  const minor = minorString(value);
  if (minor === null) return null;
  if (currencyOffset(currency) === 1) return minor;
  const neg = minor.startsWith('-');
  const digits = (neg ? minor.slice(1) : minor).padStart(3, '0');
  const major = `${digits.slice(0, -2).replace(/^0+(?=\d)/, '')}.${digits.slice(-2)}`;
  return neg && !/^0\.00$/.test(major) ? `-${major}` : major;
}

/**
 * Normalises a Graph decimal (metrics such as spend "14.35", ctr "4.864865") to a plain decimal
 * string; numbers in exponent form are expanded. Returns null for values that are not numbers.
 */
export function toDecimalString(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  const s = String(value).trim();
  if (DECIMAL_RE.test(s)) return s;
  if (typeof value === 'number' && Number.isFinite(value)) {
    const fixed = value
      .toFixed(12)
      .replace(/(\.\d*?)0+$/, '$1')
      .replace(/\.$/, '');
    return DECIMAL_RE.test(fixed) ? fixed : null;
  }
  const n = Number(s);
  return Number.isFinite(n) ? toDecimalString(n) : null;
}
