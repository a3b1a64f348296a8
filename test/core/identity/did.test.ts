/**
 * DID resolution against a local PLC directory and a did:web host on localhost.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { DID_DOC_MAX_BYTES, resolveDid } from '../../../src/core/identity/index.js';
import { closeHttp } from '../../../src/core/net/http.js';
import { didDoc, plcDid, send, startWorld, type World } from './world.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterEach(() => world.reset());
afterAll(async () => {
  await world.close();
  await closeHttp();
});

const A = plcDid('alice');

async function rejection(p: Promise<unknown>): Promise<AtcliError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AtcliError);
    return err as AtcliError;
  }
  throw new Error('expected a rejection');
}

/** Config without connect-to rules and without private networks: only loopback http:// URLs work. */
function strictConfig(dev: boolean) {
  return world.config({ dev }, { allowPrivateNetwork: false, connectTo: [] });
}

describe('did:plc (I3)', () => {
  it('GET <plcUrl>/<did> returns the document', async () => {
    world.plcDoc(A, didDoc(A, 'alice.test'));
    const doc = await resolveDid(strictConfig(false), A);
    expect(doc.id).toBe(A);
    expect(doc.alsoKnownAs).toEqual(['at://alice.test']);
    expect(world.requests).toEqual([`127.0.0.1 /plc/${A}`]);
  });

  it('a trailing slash on plcUrl is fine', async () => {
    world.plcDoc(A, didDoc(A, 'alice.test'));
    const cfg = { ...strictConfig(false), plcUrl: `${world.plcUrl}/` };
    expect((await resolveDid(cfg, A)).id).toBe(A);
  });

  it.each([[404], [410]])('%i → notFound DidNotFound', async (status) => {
    world.plcDoc(A, { message: 'DID not registered' }, status);
    const err = await rejection(resolveDid(strictConfig(false), A));
    expect(err).toMatchObject({ kind: 'notFound', code: 'DidNotFound' });
  });

  it('an unknown DID (404 from the directory) → DidNotFound', async () => {
    const err = await rejection(resolveDid(strictConfig(false), plcDid('nobody')));
    expect(err.code).toBe('DidNotFound');
  });

  it('5xx → runtime DidResolutionFailed', async () => {
    world.plcDoc(A, { error: 'oops' }, 503);
    const err = await rejection(resolveDid(strictConfig(false), A));
    expect(err).toMatchObject({ kind: 'runtime', code: 'DidResolutionFailed' });
  });

  it('a redirect is not followed', async () => {
    world.route('127.0.0.1', `/plc/${A}`, (_req, res) => res.writeHead(302, { location: `/plc2/${A}` }).end());
    world.json('127.0.0.1', `/plc2/${A}`, didDoc(A, 'alice.test'));
    const err = await rejection(resolveDid(strictConfig(false), A));
    expect(err.code).toBe('DidResolutionRedirect');
    expect(world.requests.length).toBe(1);
  });

  it('J1: a document for another DID → invalid DidDocumentMismatch', async () => {
    world.plcDoc(A, didDoc(plcDid('mallory'), 'alice.test'));
    const err = await rejection(resolveDid(strictConfig(false), A));
    expect(err).toMatchObject({ kind: 'invalid', code: 'DidDocumentMismatch' });
  });

  it('a body that is not JSON → invalid InvalidDidDocument', async () => {
    world.text('127.0.0.1', `/plc/${A}`, '<html>hello</html>');
    const err = await rejection(resolveDid(strictConfig(false), A));
    expect(err).toMatchObject({ kind: 'invalid', code: 'InvalidDidDocument' });
    expect(err.message).toMatch(/HTML/);
  });

  it('a JSON array is not a document', async () => {
    world.json('127.0.0.1', `/plc/${A}`, [didDoc(A, null)]);
    expect((await rejection(resolveDid(strictConfig(false), A))).code).toBe('InvalidDidDocument');
  });

  it('H14: an endless DID document is cut off at 64 KiB', async () => {
    let sent = 0;
    world.route('127.0.0.1', `/plc/${A}`, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      const pump = (): void => {
        while (sent < 50 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      res.write(`{"id":"${A}","x":"`);
      pump();
    });
    const err = await rejection(resolveDid(strictConfig(false), A));
    expect(err.code).toBe('ResponseTooLarge');
    expect(err.message).toContain(String(DID_DOC_MAX_BYTES));
    expect(sent).toBeLessThan(10 * 1024 * 1024);
  });

  it('results are cached; noCache asks again', async () => {
    world.plcDoc(A, didDoc(A, 'alice.test'));
    const cfg = strictConfig(false);
    const first = await resolveDid(cfg, A);
    first.alsoKnownAs = ['at://mutated.test'];
    const second = await resolveDid(cfg, A);
    expect(second.alsoKnownAs).toEqual(['at://alice.test']);
    expect(world.requests.length).toBe(1);
    await resolveDid(cfg, A, { noCache: true });
    expect(world.requests.length).toBe(2);
  });

  it('a not-found result is cached only briefly, and network errors not at all', async () => {
    const cfg = strictConfig(false);
    world.plcDoc(A, { error: 'oops' }, 503);
    await rejection(resolveDid(cfg, A));
    world.plcDoc(A, didDoc(A, 'alice.test'));
    expect((await resolveDid(cfg, A)).id).toBe(A);
  });
});

describe('did:web (I2)', () => {
  let server: Server;
  let port: number;
  let handler: (path: string, res: import('node:http').ServerResponse) => void;
  const hits: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      handler(req.url ?? '', res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => {
    hits.length = 0;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('did:web:localhost%3APORT is fetched over http:// from /.well-known/did.json in dev mode', async () => {
    const did = `did:web:localhost%3A${port}`;
    handler = (path, res) =>
      path === '/.well-known/did.json' ? send(res, 200, JSON.stringify(didDoc(did, 'alice.test')), 'application/json') : send(res, 404, '');
    const doc = await resolveDid(strictConfig(true), did);
    expect(doc.id).toBe(did);
    expect(hits).toEqual(['/.well-known/did.json']);
  });

  it('H12: did:web:localhost%3APORT is refused outside dev mode, without a request', async () => {
    handler = (_path, res) => send(res, 500, '');
    const err = await rejection(resolveDid(strictConfig(false), `did:web:localhost%3A${port}`));
    expect(err).toMatchObject({ kind: 'usage', code: 'UnsupportedDidWeb' });
    expect(hits).toEqual([]);
  });

  it('H13: did.json served through a 302 is refused', async () => {
    const did = `did:web:localhost%3A${port}`;
    handler = (path, res) => {
      if (path === '/.well-known/did.json') {
        res.writeHead(302, { location: '/elsewhere.json' }).end();
        return;
      }
      send(res, 200, JSON.stringify(didDoc(did, 'alice.test')), 'application/json');
    };
    const err = await rejection(resolveDid(strictConfig(true), did));
    expect(err.code).toBe('DidResolutionRedirect');
    expect(hits).toEqual(['/.well-known/did.json']);
  });

  it('J1: a did:web document whose id differs in any way is refused', async () => {
    const did = `did:web:localhost%3A${port}`;
    handler = (_path, res) => send(res, 200, JSON.stringify(didDoc(`did:web:localhost:${port}`, null)), 'application/json');
    expect((await rejection(resolveDid(strictConfig(true), did))).code).toBe('DidDocumentMismatch');
  });

  it('a did:web .test host is fetched over https:// (routed by connect-to) in dev mode', async () => {
    // No TLS server here: the point is the URL, which must be https://<host>/.well-known/did.json.
    const log: string[] = [];
    const cfg = world.config({}, { log: (l) => log.push(l), timeoutMs: 500 });
    await rejection(resolveDid(cfg, 'did:web:alice.test'));
    expect(log.join('\n')).toContain('https://alice.test/.well-known/did.json');
  });
});
