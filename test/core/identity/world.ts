/**
 * A small local "internet" for identity tests: one HTTP server on 127.0.0.1 that answers by
 * Host header (well-known handles, a PLC directory, did:web hosts, an XRPC resolver), plus
 * the UDP DNS server from dns-server.ts. The HTTP layer reaches it through a connect-to rule.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpConfig } from '../../../src/core/net/http.js';
import type { IdentityConfig } from '../../../src/core/identity/index.js';
import { startDnsServer, type TestDnsServer, type ZoneEntry } from './dns-server.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, path: string) => void;

export interface World {
  port: number;
  /** origin of the PLC directory: http://127.0.0.1:PORT/plc */
  plcUrl: string;
  dns: TestDnsServer;
  /** host (no port, lower-case) → path → handler */
  routes: Map<string, Map<string, Handler>>;
  /** "host path" of every request, in order */
  requests: string[];
  route(host: string, path: string, handler: Handler): void;
  /** answer with `body` (string) and status */
  text(host: string, path: string, body: string, status?: number): void;
  json(host: string, path: string, value: unknown, status?: number): void;
  wellKnown(handle: string, body: string, status?: number): void;
  plcDoc(did: string, doc: unknown, status?: number): void;
  txt(name: string, entry: ZoneEntry): void;
  /** Identity config: dev mode, everything routed here, the local DNS server, short timeouts. */
  config(over?: Partial<IdentityConfig>, http?: Partial<HttpConfig>): IdentityConfig;
  reset(): void;
  close(): Promise<void>;
}

export function send(res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startWorld(): Promise<World> {
  const routes = new Map<string, Map<string, Handler>>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push(`${host} ${req.url ?? ''}`);
    const handler = routes.get(host)?.get(path) ?? routes.get(host)?.get('*');
    if (handler === undefined) return send(res, 404, 'not found');
    handler(req, res, path);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dns = await startDnsServer();

  const world: World = {
    port,
    plcUrl: `http://127.0.0.1:${port}/plc`,
    dns,
    routes,
    requests,
    route(host, path, handler) {
      const h = host.toLowerCase();
      let m = routes.get(h);
      if (m === undefined) {
        m = new Map();
        routes.set(h, m);
      }
      m.set(path, handler);
    },
    text(host, path, body, status = 200) {
      world.route(host, path, (_req, res) => send(res, status, body));
    },
    json(host, path, value, status = 200) {
      world.route(host, path, (_req, res) => send(res, status, JSON.stringify(value), 'application/json'));
    },
    wellKnown(handle, body, status = 200) {
      world.text(handle, '/.well-known/atproto-did', body, status);
    },
    plcDoc(did, doc, status = 200) {
      world.json('127.0.0.1', `/plc/${did}`, doc, status);
    },
    txt(name, entry) {
      dns.zone.set(name.toLowerCase(), entry);
    },
    config(over = {}, http = {}) {
      return {
        http: {
          timeoutMs: 2000,
          userAgent: 'atcli-test',
          allowPrivateNetwork: true,
          connectTo: [{ host: '', port: null, toHost: '127.0.0.1', toPort: port }],
          ...http,
        },
        plcUrl: world.plcUrl,
        dnsServers: [dns.server],
        dnsTimeoutMs: 1000,
        dev: true,
        ...over,
      };
    },
    reset() {
      routes.clear();
      requests.length = 0;
      dns.zone.clear();
      dns.queries.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dns.close();
    },
  };
  return world;
}

/** `did:plc:` + 24 base32 characters derived from a short name (test-only, not a real PLC DID). */
export function plcDid(name: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '';
  for (let i = 0; i < 24; i++) out += alphabet[(name.charCodeAt(i % name.length) + i * 7) % 32];
  return `did:plc:${out}`;
}

export const MULTIKEY_K256 = 'zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF';

/** A DID document in the shape the reference PLC directory serves. */
export function didDoc(did: string, handle: string | null, pds = 'http://localhost:2583'): Record<string, unknown> {
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    alsoKnownAs: handle === null ? [] : [`at://${handle}`],
    verificationMethod: [{ id: `${did}#atproto`, type: 'Multikey', controller: did, publicKeyMultibase: MULTIKEY_K256 }],
    service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: pds }],
  };
}
