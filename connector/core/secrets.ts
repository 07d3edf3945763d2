// Secret redaction. Secrets are found two ways: by value (every config field the JSON Schema marks
// "writeOnly": true) and by shape (token-bearing URL parameters, Bearer headers, PEM keys), so a
// Graph paging URL that embeds a token we never configured (e.g. from a redirect) is still masked.

export const REDACTED = '***REDACTED***';

/** URL/form parameters whose value is a credential (Graph puts access_token into paging.next). */
const SECRET_PARAMS = ['access_token', 'input_token', 'appsecret_proof', 'client_secret', 'fb_exchange_token', 'app_secret'];
const PARAM_RE = new RegExp(`((?:${SECRET_PARAMS.join('|')})(?:=|%3D|"\\s*:\\s*"))([^&\\s"',;]+)`, 'gi');
const BEARER_RE = /(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g;
const PEM_RE = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;
/** Meta user/system-user tokens start with EAA (facts §1.3); mask any that slip through by shape. */
const META_TOKEN_RE = /\bEAA[A-Za-z0-9]{20,}\b/g;

export class Redactor {
  private readonly values = new Set<string>();

  constructor(secrets: Iterable<string> = []) {
    for (const s of secrets) this.add(s);
  }

  /** Registers a secret value; very short values are ignored because masking them would garble logs. */
  add(secret: string | undefined | null): void {
    if (typeof secret !== 'string' || secret.length < 6) return;
    this.values.add(secret);
    this.values.add(encodeURIComponent(secret));
    // A JSON string escapes some characters (service-account keys contain newlines).
    this.values.add(JSON.stringify(secret).slice(1, -1));
  }

  get size(): number {
    return this.values.size;
  }

  redact(text: string): string {
    let out = text;
    // Longest first so a secret that contains another is masked whole.
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) {
      if (out.includes(v)) out = out.split(v).join(REDACTED);
    }
    return out.replace(PARAM_RE, `$1${REDACTED}`).replace(BEARER_RE, `$1${REDACTED}`).replace(PEM_RE, REDACTED).replace(META_TOKEN_RE, REDACTED);
  }

  /** Deep-redacts strings inside a JSON-like value (for structured log fields and state). */
  redactValue<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactValue(v);
      return out as T;
    }
    return value;
  }
}

type JsonSchema = {
  writeOnly?: boolean;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema | JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
};

/**
 * Collects every value in `config` that the schema marks "writeOnly": true (walking nested objects,
 * arrays and combinators), so the config schema alone decides what is secret.
 */
export function secretsFromSchema(schema: JsonSchema, config: unknown): string[] {
  const found: string[] = [];
  const walk = (s: JsonSchema | undefined, v: unknown): void => {
    if (!s || v === undefined || v === null) return;
    if (s.writeOnly) {
      if (typeof v === 'string') found.push(v);
      else found.push(JSON.stringify(v));
      // A JSON blob (service-account key) also holds its private key as a nested string.
      if (v && typeof v === 'object') for (const inner of Object.values(v)) if (typeof inner === 'string') found.push(inner);
      return;
    }
    for (const sub of [...(s.oneOf ?? []), ...(s.anyOf ?? []), ...(s.allOf ?? [])]) walk(sub, v);
    if (Array.isArray(v)) {
      const items = s.items;
      v.forEach((el, i) => walk(Array.isArray(items) ? items[i] : items, el));
      return;
    }
    if (typeof v === 'object') {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
        const sub = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
        walk(sub, child);
      }
    }
  };
  walk(schema, config);
  return found;
}
