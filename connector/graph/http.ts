// The one HTTP exchange the Graph client needs (GET, or POST with a form body; the whole answer as
// text), on Node's own http/https. No HTTP library: axios alone loaded form-data, follow-redirects,
// http2 and undici's WebAssembly parser, ~20 MB of the tap's resident memory (issue 20), for features
// the client turns off (redirects, transforms, status checks). Compressed answers are inflated with
// zlib, loaded the first time one arrives.
import type { IncomingHttpHeaders, IncomingMessage, RequestOptions } from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** No HTTP answer: `code` is Node's (ECONNRESET, ENOTFOUND, a TLS verification code…), or ETIMEDOUT when the socket idled past the timeout. */
export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'HttpFailure';
  }
}

export interface HttpRequest {
  url: URL;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** Sent as is (the caller sets Content-Type). */
  body?: string;
  /** Longest silence on the socket before the attempt is given up (what request_timeout_seconds means). */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Encodings we ask for; Meta compresses large insights pages (facts: the SDKs ask for gzip too). */
const ACCEPT_ENCODING = 'gzip, deflate';

type Transport = (url: URL, options: RequestOptions, callback: (res: IncomingMessage) => void) => import('node:http').ClientRequest;

const transports = new Map<string, Promise<Transport>>();

/** node:http for the sandbox on loopback, node:https (with TLS) only when a URL needs it. */
function transportFor(protocol: string): Promise<Transport> {
  let t = transports.get(protocol);
  if (!t) {
    if (protocol === 'https:') t = import('node:https').then((m) => m.request);
    else if (protocol === 'http:') t = import('node:http').then((m) => m.request);
    else return Promise.reject(new HttpFailure(`unsupported protocol ${protocol}`, 'ERR_INVALID_PROTOCOL', false));
    transports.set(protocol, t);
  }
  return t;
}

/** The encoding of an answer as we handle it: undefined for plain text. */
function encodingOf(res: IncomingMessage): string | undefined {
  const enc = res.headers['content-encoding']?.trim().toLowerCase();
  return !enc || enc === 'identity' ? undefined : enc;
}

async function inflate(raw: Buffer, enc: string): Promise<string> {
  if (raw.length === 0) return '';
  const zlib = await import('node:zlib');
  if (enc === 'gzip' || enc === 'x-gzip') return zlib.gunzipSync(raw).toString('utf8');
  if (enc === 'deflate') return zlib.inflateSync(raw).toString('utf8');
  throw new HttpFailure(`answer in an encoding we did not ask for (${enc})`, 'ERR_BAD_RESPONSE', false);
}

/** Sends one request; resolves with any HTTP status (the caller classifies it), rejects with HttpFailure or the signal's reason. */
export async function httpRequest(r: HttpRequest): Promise<HttpAnswer> {
  const send = await transportFor(r.url.protocol);
  if (r.signal?.aborted) throw r.signal.reason;
  const headers: Record<string, string> = { 'Accept-Encoding': ACCEPT_ENCODING, ...r.headers };
  if (r.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(r.body));
  const raw = await new Promise<{ res: IncomingMessage; text: string } | { res: IncomingMessage; data: Buffer; enc: string }>((resolve, reject) => {
    const req = send(r.url, { method: r.method, headers, ...(r.signal ? { signal: r.signal } : {}) }, (res) => {
      const enc = encodingOf(res);
      if (enc === undefined) {
        // Plain text is decoded as it arrives: each socket buffer dies young instead of being kept
        // (and promoted to the old generation) until the answer is whole (issue 20, tap memory).
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.once('end', () => resolve({ res, text }));
      } else {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => resolve({ res, data: Buffer.concat(chunks), enc }));
      }
      res.once('error', (err: NodeJS.ErrnoException) => reject(failure(err, r.signal)));
      res.once('close', () => {
        if (!res.complete) reject(failure(Object.assign(new Error('connection closed before the answer was complete'), { code: 'ECONNRESET' }), r.signal));
      });
    });
    req.setTimeout(r.timeoutMs, () => req.destroy(new HttpFailure(`no answer within ${r.timeoutMs} ms`, 'ETIMEDOUT', true)));
    req.once('error', (err: NodeJS.ErrnoException) => reject(failure(err, r.signal)));
    req.end(r.body);
  });
  return { status: raw.res.statusCode ?? 0, headers: raw.res.headers, body: 'text' in raw ? raw.text : await inflate(raw.data, raw.enc) };
}

function failure(err: NodeJS.ErrnoException, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return signal.reason ?? err;
  if (err instanceof HttpFailure) return err;
  return new HttpFailure(err.message, err.code, err.code === 'ETIMEDOUT');
}
