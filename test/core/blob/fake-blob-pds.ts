/**
 * A fake PDS (and PLC directory) for blob tests: real HTTP on 127.0.0.1, serving listBlobs (paged
 * like the reference: cursor = last CID), getBlob (Content-Type, Content-Length) and uploadBlob,
 * with per-blob misbehaviour: wrong bytes, 429 + Retry-After, a connection dropped mid-body, delays.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cidForRaw } from '../../../src/core/codec/index.js';
import { startServer, type TestServer } from '../net/helpers.js';

export type Misbehaviour =
  | { kind: 'wrong-bytes' }
  /** first `times` requests: 429 with Retry-After `seconds` */
  | { kind: 'rate-limit'; times: number; seconds: number }
  /** first `times` requests: headers + half the body, then the socket is destroyed */
  | { kind: 'drop'; times: number }
  /** first `times` requests: 503 */
  | { kind: 'server-error'; times: number }
  | { kind: 'missing' };

export interface FakeBlob {
  cid: string;
  bytes: Uint8Array;
  mimeType: string;
}

export interface FakeBlobPds extends TestServer {
  did: string;
  blobs: Map<string, FakeBlob>;
  misbehave: Map<string, Misbehaviour>;
  /** getBlob requests per CID */
  requests: Map<string, number>;
  /** request times per CID (ms since epoch) */
  times: Map<string, number[]>;
  /** when the last 429 for a CID was sent (Retry-After counts from the response, not the request) */
  rateLimitedAt: Map<string, number>;
  maxInFlight: number;
  /** ms to wait before answering each getBlob */
  delayMs: number;
  uploads: Array<{ contentType: string | undefined; bytes: Uint8Array }>;
  /** what uploadBlob answers: default the true ref with the declared MIME type */
  uploadAnswer?: (bytes: Uint8Array, contentType: string) => unknown;
  listRequests: Array<Record<string, string>>;
  /** the next n listBlobs requests answer 503 */
  listErrors: number;
}

export function makeBlob(seed: number, size: number, mimeType = 'application/octet-stream'): FakeBlob {
  const bytes = new Uint8Array(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return { cid: cidForRaw(bytes).toString(), bytes, mimeType };
}

function readRaw(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export async function startFakeBlobPds(blobs: FakeBlob[], did = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'): Promise<FakeBlobPds> {
  let inFlight = 0;
  const fake = {} as FakeBlobPds;
  const server = await startServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === `/${did}`) {
      return json(res, 200, {
        '@context': ['https://www.w3.org/ns/did/v1'],
        id: did,
        alsoKnownAs: [],
        verificationMethod: [],
        service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: fake.url }],
      });
    }
    const nsid = url.pathname.replace(/^\/xrpc\//, '');
    const params = Object.fromEntries(url.searchParams);
    if (nsid === 'com.atproto.sync.listBlobs') {
      fake.listRequests.push(params);
      if (fake.listErrors > 0) {
        fake.listErrors--;
        return json(res, 503, { error: 'ServiceUnavailable', message: 'busy' });
      }
      if (params.did !== did) return json(res, 400, { error: 'RepoNotFound', message: `Could not find repo for DID: ${params.did}` });
      const all = [...fake.blobs.keys()].sort();
      const start = params.cursor ? all.findIndex((c) => c > params.cursor!) : 0;
      const page = start < 0 ? [] : all.slice(start, start + Number(params.limit ?? 500));
      return json(res, 200, { cursor: page.at(-1), cids: page });
    }
    if (nsid === 'com.atproto.sync.getBlob') {
      const cid = params.cid ?? '';
      const n = (fake.requests.get(cid) ?? 0) + 1;
      fake.requests.set(cid, n);
      fake.times.set(cid, [...(fake.times.get(cid) ?? []), Date.now()]);
      inFlight++;
      fake.maxInFlight = Math.max(fake.maxInFlight, inFlight);
      res.on('close', () => inFlight--);
      if (fake.delayMs > 0) await new Promise((r) => setTimeout(r, fake.delayMs));
      const blob = fake.blobs.get(cid);
      const bad = fake.misbehave.get(cid);
      if (!blob || bad?.kind === 'missing') return json(res, 400, { error: 'InvalidRequest', message: 'Blob not found' });
      if (bad?.kind === 'rate-limit' && n <= bad.times) {
        fake.rateLimitedAt.set(cid, Date.now());
        return json(res, 429, { error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' }, { 'retry-after': String(bad.seconds) });
      }
      if (bad?.kind === 'server-error' && n <= bad.times) return json(res, 503, { error: 'ServiceUnavailable', message: 'try later' });
      let body = blob.bytes;
      if (bad?.kind === 'wrong-bytes') {
        body = new Uint8Array(blob.bytes);
        body[body.length >> 1] = body[body.length >> 1]! ^ 0xff;
      }
      res.writeHead(200, { 'content-type': blob.mimeType, 'content-length': String(body.byteLength), 'x-content-type-options': 'nosniff' });
      if (bad?.kind === 'drop' && n <= bad.times) {
        res.write(body.subarray(0, body.byteLength >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      res.end(body);
      return;
    }
    if (nsid === 'com.atproto.server.createSession') {
      await readRaw(req);
      return json(res, 200, { did, handle: 'fake.test', accessJwt: 'fake.access.jwt', refreshJwt: 'fake.refresh.jwt' });
    }
    if (nsid === 'com.atproto.repo.uploadBlob') {
      const bytes = new Uint8Array(await readRaw(req));
      const contentType = req.headers['content-type'];
      fake.uploads.push({ contentType, bytes });
      const answer = fake.uploadAnswer?.(bytes, contentType ?? '') ?? {
        blob: { $type: 'blob', ref: { $link: cidForRaw(bytes).toString() }, mimeType: contentType, size: bytes.byteLength },
      };
      return json(res, 200, answer);
    }
    return json(res, 501, { error: 'MethodNotImplemented', message: `no ${nsid}` });
  });
  return Object.assign(fake, server, {
    did,
    blobs: new Map(blobs.map((b) => [b.cid, b])),
    misbehave: new Map<string, Misbehaviour>(),
    requests: new Map<string, number>(),
    times: new Map<string, number[]>(),
    rateLimitedAt: new Map<string, number>(),
    maxInFlight: 0,
    delayMs: 0,
    uploads: [],
    listRequests: [],
    listErrors: 0,
  });
}
