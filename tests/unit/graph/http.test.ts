import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { HttpFailure, httpRequest } from '../../../connector/graph/http.js';

describe('graph http transport', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ method: string | undefined; url: string | undefined; headers: IncomingMessage['headers']; body: string }> = [];
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/plain': (_q, res) => res.end('{"data":[1]}'),
    '/gzip': (_q, res) => {
      res.setHeader('Content-Encoding', 'gzip');
      res.end(gzipSync('{"data":["zipped"]}'));
    },
    // "é" (0xC3 0xA9) split across two writes, some time apart, so they reach the client as two chunks.
    '/split': (_q, res) => {
      const bytes = Buffer.from('{"name":"café"}', 'utf8');
      const cut = bytes.indexOf(0xc3) + 1;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(bytes.subarray(0, cut));
      setTimeout(() => res.end(bytes.subarray(cut)), 20);
    },
    '/redirect': (_q, res) => {
      res.writeHead(302, { Location: 'http://example.invalid/steal' });
      res.end();
    },
    '/silent': () => undefined, // never answers
    '/cut': (_q, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('{"data":');
      setTimeout(() => res.socket?.destroy(), 20);
    },
  };

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        (routes[path] ?? ((_q, r) => r.writeHead(404).end()))(req, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('returns status, headers and the body as text, asking for compression', async () => {
    const a = await httpRequest({ url: new URL(`${base}/plain?x=1`), method: 'GET', headers: { Accept: 'application/json' }, timeoutMs: 5000 });
    expect(a.status).to.equal(200);
    expect(a.body).to.equal('{"data":[1]}');
    const req = seen.at(-1)!;
    expect(req.url).to.equal('/plain?x=1');
    expect(req.headers['accept']).to.equal('application/json');
    expect(req.headers['accept-encoding']).to.equal('gzip, deflate');
  });

  it('decodes a character whose UTF-8 bytes arrive in two chunks', async () => {
    const a = await httpRequest({ url: new URL(`${base}/split`), method: 'GET', headers: {}, timeoutMs: 5000 });
    expect(a.body).to.equal('{"name":"café"}');
  });

  it('inflates a gzip answer', async () => {
    const a = await httpRequest({ url: new URL(`${base}/gzip`), method: 'GET', headers: {}, timeoutMs: 5000 });
    expect(a.body).to.equal('{"data":["zipped"]}');
  });

  it('sends a POST body with its length', async () => {
    await httpRequest({ url: new URL(`${base}/plain`), method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'level=ad&fields=spend', timeoutMs: 5000 });
    const req = seen.at(-1)!;
    expect(req).to.include({ method: 'POST', body: 'level=ad&fields=spend' });
    expect(req.headers['content-length']).to.equal('21');
  });

  it('hands a redirect back instead of following it (it could carry the token elsewhere)', async () => {
    const a = await httpRequest({ url: new URL(`${base}/redirect`), method: 'GET', headers: {}, timeoutMs: 5000 });
    expect(a.status).to.equal(302);
    expect(seen.some((s) => s.url?.includes('steal'))).to.equal(false);
  });

  it('gives up after the timeout of silence with a timed-out failure', async () => {
    const err = await httpRequest({ url: new URL(`${base}/silent`), method: 'GET', headers: {}, timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(HttpFailure);
    expect(err).to.include({ code: 'ETIMEDOUT', timedOut: true });
  });

  it('fails with a reset when the connection closes before the answer is complete', async () => {
    const err = await httpRequest({ url: new URL(`${base}/cut`), method: 'GET', headers: {}, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(HttpFailure);
    expect((err as HttpFailure).timedOut).to.equal(false);
    expect((err as HttpFailure).code).to.be.a('string');
  });

  it('rejects with the abort reason when the caller aborts', async () => {
    const ctl = new AbortController();
    const p = httpRequest({ url: new URL(`${base}/silent`), method: 'GET', headers: {}, timeoutMs: 5000, signal: ctl.signal }).catch((e: unknown) => e);
    setTimeout(() => ctl.abort(new Error('stop')), 20);
    expect(((await p) as Error).message).to.equal('stop');
  });

  it('refuses a URL that is neither http nor https', async () => {
    const err = await httpRequest({ url: new URL('ftp://127.0.0.1/x'), method: 'GET', headers: {}, timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(HttpFailure);
    expect(err).to.include({ code: 'ERR_INVALID_PROTOCOL' });
  });
});
