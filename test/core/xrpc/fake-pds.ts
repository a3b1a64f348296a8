/**
 * A tiny fake PDS for session tests: real HTTP on 127.0.0.1, fake behaviour modelled on the
 * reference PDS (refresh tokens rotate and the old one is revoked; ExpiredToken is a 400).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, startServer, type TestServer } from '../net/helpers.js';

export function makeJwt(payload: Record<string, unknown>, typ = 'at+jwt'): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'ES256K', typ })}.${b64(payload)}.c2ln`;
}

export interface FakePds extends TestServer {
  did: string;
  password: string;
  liveAccess: Set<string>;
  expiredAccess: Set<string>;
  liveRefresh: Set<string>;
  calls: Record<string, number>;
  authHeaders: string[];
  refreshDelayMs: number;
  /** issue a token pair (as createSession would) */
  issue(opts?: { accessExpired?: boolean; accessExp?: number }): { accessJwt: string; refreshJwt: string };
}

let counter = 0;

export async function startFakePds(opts: { requireAuthFactor?: boolean } = {}): Promise<FakePds> {
  const did = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
  const state = {
    liveAccess: new Set<string>(),
    expiredAccess: new Set<string>(),
    liveRefresh: new Set<string>(),
    calls: {} as Record<string, number>,
    authHeaders: [] as string[],
    refreshDelayMs: 0,
  };
  const issue = (o: { accessExpired?: boolean; accessExp?: number } = {}): { accessJwt: string; refreshJwt: string } => {
    counter++;
    const now = Math.floor(Date.now() / 1000);
    const accessJwt = makeJwt({ scope: 'com.atproto.access', sub: did, n: counter, exp: o.accessExp ?? now + 7200 });
    const refreshJwt = makeJwt({ scope: 'com.atproto.refresh', sub: did, n: counter, jti: `r${counter}` }, 'refresh+jwt');
    if (o.accessExpired) state.expiredAccess.add(accessJwt);
    else state.liveAccess.add(accessJwt);
    state.liveRefresh.add(refreshJwt);
    return { accessJwt, refreshJwt };
  };
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const bearer = (req: IncomingMessage): string | undefined => {
    const h = req.headers.authorization;
    return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
  };
  let base = '';
  const server = await startServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const nsid = url.pathname.replace(/^\/xrpc\//, '');
    state.calls[nsid] = (state.calls[nsid] ?? 0) + 1;
    if (req.headers.authorization) state.authHeaders.push(req.headers.authorization);
    const body = await readBody(req);
    switch (nsid) {
      case 'com.atproto.server.createSession': {
        const input = JSON.parse(body) as { identifier: string; password: string; authFactorToken?: string };
        if (input.password !== fake.password || (input.identifier !== 'alice.test' && input.identifier !== did)) {
          return send(res, 401, { error: 'AuthenticationRequired', message: 'Invalid identifier or password' });
        }
        if (opts.requireAuthFactor && !input.authFactorToken) {
          return send(res, 401, { error: 'AuthFactorTokenRequired', message: 'A sign in code has been sent to your email address' });
        }
        const t = issue();
        return send(res, 200, {
          ...t,
          did,
          handle: 'alice.test',
          email: 'alice@example.com',
          didDoc: {
            id: did,
            service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: base }],
          },
        });
      }
      case 'com.atproto.server.refreshSession': {
        const tok = bearer(req);
        if (state.refreshDelayMs) await new Promise((r) => setTimeout(r, state.refreshDelayMs));
        if (!tok || !state.liveRefresh.has(tok)) {
          return send(res, 400, { error: 'ExpiredToken', message: 'Token has been revoked' });
        }
        state.liveRefresh.delete(tok);
        const t = issue();
        return send(res, 200, { ...t, did, handle: 'alice.test', active: true });
      }
      case 'com.atproto.server.deleteSession': {
        const tok = bearer(req);
        if (tok) state.liveRefresh.delete(tok);
        res.writeHead(200);
        return void res.end();
      }
      case 'com.atproto.server.getSession':
      case 'com.atproto.repo.putRecord': {
        const tok = bearer(req);
        if (!tok) return send(res, 401, { error: 'AuthMissing', message: 'Authentication Required' });
        if (state.expiredAccess.has(tok)) return send(res, 400, { error: 'ExpiredToken', message: 'Token has expired' });
        if (!state.liveAccess.has(tok)) {
          return send(res, 400, { error: 'InvalidToken', message: 'Token could not be verified' });
        }
        if (nsid === 'com.atproto.repo.putRecord') return send(res, 200, { uri: 'at://x/y/z', cid: 'bafy' });
        return send(res, 200, { did, handle: 'alice.test', active: true });
      }
      default:
        return send(res, 501, { error: 'MethodNotImplemented', message: 'Method Not Implemented' });
    }
  });
  base = server.url;
  const fake: FakePds = Object.assign(server, state, { did, password: 'correct horse battery', issue }) as FakePds;
  // keep the mutable delay in sync with `state`
  Object.defineProperty(fake, 'refreshDelayMs', {
    get: () => state.refreshDelayMs,
    set: (v: number) => (state.refreshDelayMs = v),
  });
  return fake;
}
