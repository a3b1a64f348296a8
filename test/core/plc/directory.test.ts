import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import {
  AUDIT_LOG_MAX_BYTES,
  PlcDirectoryClient,
  compareDidDocuments,
  exportCursor,
  parseExportCursor,
  type ExportEntry,
} from '../../../src/core/plc/directory.js';
import { documentFromOperation, signOperation } from '../../../src/core/plc/index.js';
import { baseConfig, readBody, startServer, type TestServer } from '../net/helpers.js';
import { T0, atprotoOp, linearLog, makeKeys } from './helpers.js';
import { base58btc } from 'multiformats/bases/base58';

interface Hit {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: TestServer;
let handler: Handler;
const hits: Hit[] = [];

beforeAll(async () => {
  server = await startServer(async (req, res) => {
    const body = await readBody(req);
    hits.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    handler(req, res, body);
  });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  hits.length = 0;
  handler = (_req, res) => send(res, 500, { message: 'no handler' });
});

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

function client(over: Parameters<typeof baseConfig>[0] = {}): PlcDirectoryClient {
  return new PlcDirectoryClient({ http: baseConfig(over), plcUrl: `${server.url}/` });
}

async function rejection(p: Promise<unknown>): Promise<AtcliError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AtcliError);
    return err as AtcliError;
  }
  throw new Error('expected a rejection');
}

const keys = makeKeys();
const { log } = linearLog(keys);
const DID = log.did;

describe('PlcDirectoryClient: reads', () => {
  it('getDocument: GET /{did}, checks the id', async () => {
    const doc = documentFromOperation(DID, log.entries[2]!.operation as never);
    handler = (_req, res) => send(res, 200, doc, { 'content-type': 'application/did+ld+json' });
    expect(await client().getDocument(DID)).toEqual(doc);
    expect(hits).toMatchObject([{ method: 'GET', url: `/${DID}` }]);
    expect(hits[0]!.headers['accept']).toContain('application/did+ld+json');

    handler = (_req, res) => send(res, 200, { ...doc, id: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' });
    const err = await rejection(client().getDocument(DID));
    expect(err).toMatchObject({ kind: 'invalid', code: 'InvalidPlcResponse' });
  });

  it('404 → notFound DidNotFound; "DID not available" (a tombstone) is reported as deactivated', async () => {
    handler = (_req, res) => send(res, 404, { message: `DID not registered: ${DID}` });
    const missing = await rejection(client().getData(DID));
    expect(missing).toMatchObject({ kind: 'notFound', code: 'DidNotFound', exitCode: 4 });
    expect(missing.message).toContain('not registered');
    expect(missing.details).toMatchObject({ deactivated: false, status: 404 });

    handler = (_req, res) => send(res, 404, { message: `DID not available: ${DID}` });
    const gone = await rejection(client().getDocument(DID));
    expect(gone).toMatchObject({ code: 'DidNotFound', details: { deactivated: true } });
    expect(gone.message).toMatch(/deactivated/);
    expect(gone.hint).toContain('audit log');
    expect(`${gone.message} ${gone.hint}`).not.toMatch(/--|atcli /);

    handler = (_req, res) => send(res, 410, '');
    expect(await rejection(client().getAuditLog(DID))).toMatchObject({ code: 'DidNotFound', details: { deactivated: true, status: 410 } });
  });

  it('does not follow redirects', async () => {
    handler = (req, res) => (req.url === `/${DID}/log/audit` ? send(res, 302, '', { location: `${server.url}/elsewhere` }) : send(res, 200, []));
    const err = await rejection(client().getAuditLog(DID));
    expect(err).toMatchObject({ kind: 'runtime', code: 'PlcRedirect' });
    expect(hits.map((h) => h.url)).toEqual([`/${DID}/log/audit`]);
  });

  it('maps 5xx, 429 and non-JSON bodies', async () => {
    handler = (_req, res) => send(res, 503, { message: 'Service Unavailable' });
    expect(await rejection(client().getLog(DID))).toMatchObject({ kind: 'runtime', code: 'PlcDirectoryError', details: { status: 503 } });
    handler = (_req, res) => send(res, 429, { message: 'slow down' }, { 'retry-after': '30' });
    const limited = await rejection(client().getLog(DID));
    expect(limited).toMatchObject({ kind: 'runtime', code: 'RateLimited' });
    expect(limited.hint).toContain('30');
    handler = (_req, res) => send(res, 200, '<html>hello</html>', { 'content-type': 'text/html' });
    const html = await rejection(client().getAuditLog(DID));
    expect(html).toMatchObject({ kind: 'invalid', code: 'InvalidPlcResponse' });
    expect(html.message).toContain('HTML');
    handler = (_req, res) => send(res, 200, { not: 'an array' });
    expect(await rejection(client().getAuditLog(DID))).toMatchObject({ code: 'InvalidPlcResponse' });
  });

  it('getData checks the shape and the DID', async () => {
    const data = { did: DID, rotationKeys: ['did:key:zQ3shx'], verificationMethods: { atproto: 'did:key:zQ3shy' }, alsoKnownAs: ['at://a.example.com'], services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://pds.example.com' } } };
    handler = (_req, res) => send(res, 200, data);
    expect(await client().getData(DID)).toEqual(data);
    expect(hits[0]!.url).toBe(`/${DID}/data`);
    handler = (_req, res) => send(res, 200, { ...data, rotationKeys: 'x' });
    expect(await rejection(client().getData(DID))).toMatchObject({ code: 'InvalidPlcResponse' });
    handler = (_req, res) => send(res, 200, { ...data, did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' });
    expect(await rejection(client().getData(DID))).toMatchObject({ code: 'InvalidPlcResponse' });
  });

  it('getAuditLog returns the entries as served; caps the body at 10 MiB', async () => {
    handler = (_req, res) => send(res, 200, log.entries);
    expect(await client().getAuditLog(DID)).toEqual(JSON.parse(JSON.stringify(log.entries)));
    expect(hits[0]!.url).toBe(`/${DID}/log/audit`);

    const big = `[${'"x",'.repeat(Math.ceil(AUDIT_LOG_MAX_BYTES / 4))}"x"]`;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // no content-length: cut while streaming
      res.write(big.slice(0, 1 << 20));
      res.end(big.slice(1 << 20));
    };
    expect(await rejection(client().getAuditLog(DID))).toMatchObject({ kind: 'runtime', code: 'ResponseTooLarge' });
  });

  it('getLastOperation parses the operation strictly', async () => {
    handler = (_req, res) => send(res, 200, log.entries[2]!.operation);
    const op = await client().getLastOperation(DID);
    expect(op).toEqual(log.entries[2]!.operation);
    expect(hits[0]!.url).toBe(`/${DID}/log/last`);
    handler = (_req, res) => send(res, 200, { ...(log.entries[2]!.operation as object), extra: 1 });
    expect(await rejection(client().getLastOperation(DID))).toMatchObject({ code: 'InvalidPlcResponse' });
  });

  it('refuses a malformed DID without a request', async () => {
    for (const bad of ['did:plc:UPPERCASEUPPERCASEUPPERC', 'did:plc:abc', 'did:web:example.com', `${DID}/../x`]) {
      const err = await rejection(client().getAuditLog(bad));
      expect(err).toMatchObject({ kind: 'usage', code: 'InvalidDid' });
    }
    const upper = await rejection(client().getData(DID.toUpperCase().replace('DID:PLC:', 'did:plc:')));
    expect(upper.hint).toContain(DID);
    expect(hits).toEqual([]);
  });
});

describe('PlcDirectoryClient: submitOperation', () => {
  const signed = signOperation(atprotoOp(keys, log.entries[2]!.cid, 'new.example.com'), keys.r0);

  it('POSTs the operation as JSON to /{did}', async () => {
    handler = (_req, res) => send(res, 200, '');
    await client().submitOperation(DID, signed);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ method: 'POST', url: `/${DID}` });
    expect(hits[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(hits[0]!.body)).toEqual(signed);
  });

  it('409 → invalid StalePrev; 400 → invalid PlcOperationRejected with the reason', async () => {
    handler = (_req, res) => send(res, 409, { message: 'Proposed prev does not match the most recent operation' });
    const stale = await rejection(client().submitOperation(DID, signed));
    expect(stale).toMatchObject({ kind: 'invalid', code: 'StalePrev', exitCode: 3 });
    expect(stale.message).toContain('prev');
    expect(stale.details).toMatchObject({ did: DID, status: 409 });
    expect(`${stale.message} ${stale.hint ?? ''}`).not.toMatch(/--|atcli /);

    handler = (_req, res) => send(res, 400, { message: 'Invalid signature on op: {"sig":"…"}' });
    const bad = await rejection(client().submitOperation(DID, signed));
    expect(bad).toMatchObject({ kind: 'invalid', code: 'PlcOperationRejected' });
    expect(bad.message).toContain('Invalid signature');

    handler = (_req, res) => send(res, 400, { message: 'x'.repeat(5000) });
    expect((await rejection(client().submitOperation(DID, signed))).message.length).toBeLessThan(500);

    handler = (_req, res) => send(res, 429, { message: 'too many' });
    expect(await rejection(client().submitOperation(DID, signed))).toMatchObject({ kind: 'runtime', code: 'RateLimited' });
    handler = (_req, res) => send(res, 500, { message: 'Internal Server Error' });
    expect(await rejection(client().submitOperation(DID, signed))).toMatchObject({ kind: 'runtime', code: 'PlcDirectoryError' });
  });

  it('never sends an unsigned or malformed operation', async () => {
    const { sig: _sig, ...unsigned } = signed;
    expect(await rejection(client().submitOperation(DID, unsigned))).toMatchObject({ kind: 'invalid', code: 'InvalidPlcOperation' });
    expect(await rejection(client().submitOperation(DID, { ...signed, sig: `${signed.sig}==` }))).toMatchObject({ code: 'InvalidPlcOperation' });
    expect(await rejection(client().submitOperation(DID, { ...signed, extra: true }))).toMatchObject({ code: 'InvalidPlcOperation' });
    expect(hits).toEqual([]);
  });
});

describe('PlcDirectoryClient: export', () => {
  function entry(i: number, seq?: number): ExportEntry {
    return {
      did: DID,
      operation: log.entries[0]!.operation,
      cid: log.entries[0]!.cid,
      nullified: false,
      createdAt: new Date(T0 + i * 1000).toISOString(),
      ...(seq !== undefined ? { seq, type: 'sequenced_op' } : {}),
    };
  }
  const all = Array.from({ length: 25 }, (_, i) => entry(i));

  /** A directory with the legacy createdAt paging (`after` exclusive), honouring count. */
  function legacyExport(source: () => ExportEntry[]): Handler {
    return (req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname !== '/export') return send(res, 404, { message: 'no' });
      const count = Number(u.searchParams.get('count') ?? 1000);
      const after = u.searchParams.get('after');
      const rows = source().filter((e) => after === null || Date.parse(e.createdAt) > Date.parse(after)).slice(0, count);
      res.writeHead(200, { 'content-type': 'application/jsonlines' });
      res.end(rows.map((r) => JSON.stringify(r)).join('\n'));
    };
  }

  it('exportPage: count and createdAt cursor, NDJSON parsed, next cursor', async () => {
    handler = legacyExport(() => all);
    const page = await client().exportPage({ count: 10 });
    expect(page.entries).toHaveLength(10);
    expect(page.cursor).toBe(all[9]!.createdAt);
    expect(hits[0]!.url).toBe('/export?count=10');
    const next = await client().exportPage({ count: 10, after: page.cursor! });
    expect(next.entries[0]).toEqual(all[10]);
    expect(new URL(hits[1]!.url, 'http://x').searchParams.get('after')).toBe(all[9]!.createdAt);
    const empty = await client().exportPage({ after: all[24]!.createdAt });
    expect(empty).toEqual({ entries: [], cursor: all[24]!.createdAt });
  });

  it('exportPage: a numeric cursor asks for the sequenced format; seq is the next cursor', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/jsonlines' });
      res.end(`${JSON.stringify(entry(0, 41))}\n${JSON.stringify(entry(1, 42))}\n`);
    };
    const page = await client().exportPage({ after: 40, count: 5 });
    expect(new URL(hits[0]!.url, 'http://x').searchParams.get('after')).toBe('40');
    expect(page.entries.map((e) => e.seq)).toEqual([41, 42]);
    expect(page.cursor).toBe(42);
    expect(exportCursor(page.entries[0]!)).toBe(41);
  });

  it('exportPage: a directory that ignores count is cut to count, without losing entries', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/jsonlines' });
      res.end(all.map((r) => JSON.stringify(r)).join('\n'));
    };
    const page = await client().exportPage({ count: 3 });
    expect(page.entries).toEqual(all.slice(0, 3));
    expect(page.cursor).toBe(all[2]!.createdAt);
  });

  it('exportPage: bad lines, bad counts and cursors', async () => {
    handler = (_req, res) => send(res, 200, `${JSON.stringify(entry(0))}\nnot json\n`);
    const err = await rejection(client().exportPage());
    expect(err).toMatchObject({ code: 'InvalidPlcResponse' });
    expect(err.message).toContain('line 2');
    handler = (_req, res) => send(res, 200, `{"did":1}`);
    expect(await rejection(client().exportPage())).toMatchObject({ code: 'InvalidPlcResponse' });
    handler = (_req, res) => send(res, 400, { message: 'Invalid count parameter' });
    expect(await rejection(client().exportPage())).toMatchObject({ code: 'PlcDirectoryError' });
    hits.length = 0;
    expect(await rejection(client().exportPage({ count: 0 }))).toMatchObject({ kind: 'usage', code: 'InvalidCount' });
    expect(await rejection(client().exportPage({ count: 1001 }))).toMatchObject({ kind: 'usage' });
    expect(await rejection(client().exportPage({ after: 'yesterday' }))).toMatchObject({ kind: 'usage', code: 'InvalidCursor' });
    expect(await rejection(client().exportPage({ after: -1 }))).toMatchObject({ kind: 'usage', code: 'InvalidCursor' });
    expect(hits).toEqual([]);
  });

  it('parseExportCursor: sequence numbers and datetimes', () => {
    expect(parseExportCursor('0')).toBe(0);
    expect(parseExportCursor(' 12345 ')).toBe(12345);
    expect(parseExportCursor('2024-01-01T00:00:00.000Z')).toBe('2024-01-01T00:00:00.000Z');
    expect(() => parseExportCursor('2024-01-01')).toThrow(AtcliError);
    expect(() => parseExportCursor('-5')).toThrow(/cursor/);
  });

  it('exportStream pages lazily until an empty page', async () => {
    handler = legacyExport(() => all);
    const c = client();
    const stream = c.exportStream({ count: 10 });
    const first = await stream.next();
    expect(first.value).toEqual(all[0]);
    expect(hits).toHaveLength(1); // back-pressure: one page fetched for the first entry
    const rest: ExportEntry[] = [];
    for await (const e of stream) rest.push(e);
    expect([first.value, ...rest]).toEqual(all);
    expect(hits).toHaveLength(4); // 10 + 10 + 5 + one empty page
    hits.length = 0;
    const fromCursor: ExportEntry[] = [];
    for await (const e of c.exportStream({ cursor: all[19]!.createdAt, count: 10 })) fromCursor.push(e);
    expect(fromCursor).toEqual(all.slice(20));
  });

  it('exportStream tail mode polls for new entries and stops on abort', async () => {
    const rows = all.slice(0, 3);
    handler = legacyExport(() => rows);
    const ctl = new AbortController();
    const seen: ExportEntry[] = [];
    const run = (async () => {
      for await (const e of client().exportStream({ tail: true, intervalMs: 20, signal: ctl.signal })) {
        seen.push(e);
        if (seen.length === 3) setTimeout(() => rows.push(all[3]!, all[4]!), 60);
        if (seen.length === 5) setTimeout(() => ctl.abort(), 30);
      }
    })();
    const err = await rejection(run);
    expect(err).toMatchObject({ kind: 'interrupted' });
    expect(seen).toEqual(all.slice(0, 5));
    expect(hits.length).toBeGreaterThan(3);
    // every poll after the first continues from the last entry seen
    const afters = hits.map((h) => new URL(h.url, 'http://x').searchParams.get('after'));
    expect(afters[0]).toBeNull();
    expect(afters[afters.length - 1]).toBe(all[4]!.createdAt);
  });

  it('exportStream tail mode retries transient failures', async () => {
    let calls = 0;
    const ok = legacyExport(() => all.slice(0, 2));
    handler = (req, res, body) => {
      calls++;
      if (calls === 1) return send(res, 503, { message: 'busy' });
      ok(req, res, body);
    };
    const ctl = new AbortController();
    const retries: string[] = [];
    const seen: ExportEntry[] = [];
    const run = (async () => {
      for await (const e of client().exportStream({ tail: true, intervalMs: 10, signal: ctl.signal, onRetry: (err) => retries.push(err.code) })) {
        seen.push(e);
        if (seen.length === 2) ctl.abort();
      }
    })();
    await rejection(run);
    expect(retries).toEqual(['PlcDirectoryError']);
    expect(seen).toEqual(all.slice(0, 2));
  });
});

describe('compareDidDocuments', () => {
  const doc = documentFromOperation(DID, log.entries[2]!.operation as never);

  it('equal documents, and the legacy rendering of old directories, match', () => {
    expect(compareDidDocuments(doc, JSON.parse(JSON.stringify(doc)) as Record<string, unknown>)).toEqual([]);
    const vm = doc.verificationMethod[0]!;
    const legacy = {
      ...doc,
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/secp256k1-2019/v1'],
      verificationMethod: [{ id: '#atproto', type: 'EcdsaSecp256k1VerificationKey2019', controller: DID, publicKeyMultibase: legacyMultibase(vm.publicKeyMultibase) }],
    };
    expect(legacy.verificationMethod[0]!.publicKeyMultibase).not.toBe(vm.publicKeyMultibase);
    expect(compareDidDocuments(doc, legacy)).toEqual([]);
  });

  it('names every difference', () => {
    const other = JSON.parse(JSON.stringify(doc)) as { alsoKnownAs: string[]; service: Array<{ serviceEndpoint: string }>; verificationMethod: unknown[] };
    other.alsoKnownAs = ['at://evil.example.com'];
    other.service[0]!.serviceEndpoint = 'https://evil.example.com';
    other.verificationMethod = [];
    const diffs = compareDidDocuments(doc, other as unknown as Record<string, unknown>);
    expect(diffs.join('\n')).toMatch(/alsoKnownAs/);
    expect(diffs.join('\n')).toMatch(/service #atproto_pds/);
    expect(diffs.join('\n')).toMatch(/verification method #atproto .* missing/);
  });
});

// --- helpers -----------------------------------------------------------------------------

/** Multikey z… (with the 2-byte multicodec) → the legacy raw-point multibase z… (no multicodec). */
function legacyMultibase(multikey: string): string {
  const bytes = base58btc.decode(multikey);
  return base58btc.encode(bytes.subarray(2));
}
