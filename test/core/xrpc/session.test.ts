import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSessionStore } from '../../../src/core/account/session-store.js';
import { AtcliError } from '../../../src/core/errors.js';
import { closeHttp } from '../../../src/core/net/http.js';
import {
  SessionAuth,
  XrpcClient,
  getSession,
  login,
  logout,
  sessionClient,
  type SessionData,
} from '../../../src/core/xrpc/index.js';
import { baseConfig } from '../net/helpers.js';
import { makeJwt, startFakePds, type FakePds } from './fake-pds.js';

afterAll(async () => {
  await closeHttp();
});

async function rejection(p: Promise<unknown>): Promise<AtcliError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AtcliError);
    return err as AtcliError;
  }
  throw new Error('expected a rejection');
}

let pds: FakePds;
let dir: string;

beforeEach(async () => {
  pds = await startFakePds();
  dir = await mkdtemp(join(tmpdir(), 'atcli-session-'));
});

afterEach(async () => {
  await pds.close();
  await rm(dir, { recursive: true, force: true });
});

function sessionFor(p: FakePds, tokens: { accessJwt: string; refreshJwt: string }): SessionData {
  return {
    did: p.did,
    handle: 'alice.test',
    pds: p.url,
    ...tokens,
    obtainedAt: new Date().toISOString(),
  };
}

describe('login / logout', () => {
  it('creates a session; the PDS comes from the DID document', async () => {
    const s = await login(pds.url, 'alice.test', pds.password, { http: baseConfig() });
    expect(s.did).toBe(pds.did);
    expect(s.handle).toBe('alice.test');
    expect(s.pds).toBe(pds.url);
    expect(s.service).toBeUndefined();
    expect(s.email).toBe('alice@example.com');
    expect(s.appPassword).toBe(false);
    expect(pds.liveAccess.has(s.accessJwt)).toBe(true);
    expect(JSON.stringify(s)).not.toContain(pds.password);
  });

  it('a wrong password is an auth error that never echoes the password', async () => {
    const e = await rejection(login(pds.url, 'alice.test', 'hunter2-wrong', { http: baseConfig() }));
    expect(e.kind).toBe('auth');
    expect(e.code).toBe('LoginFailed');
    expect(e.message).not.toContain('hunter2');
    expect(JSON.stringify(e.details)).not.toContain('hunter2');
    expect(e.hint ?? '').not.toContain('hunter2');
  });

  it('AuthFactorTokenRequired asks for the e-mailed code; with the token login works', async () => {
    const p2 = await startFakePds({ requireAuthFactor: true });
    const e = await rejection(login(p2.url, 'alice.test', p2.password, { http: baseConfig() }));
    expect(e.kind).toBe('auth');
    expect(e.code).toBe('AuthFactorTokenRequired');
    expect(e.hint).toBe('log in again with the code from the e-mail');
    const s = await login(p2.url, 'alice.test', p2.password, { http: baseConfig(), authFactorToken: '123456' });
    expect(s.did).toBe(p2.did);
    await p2.close();
  });

  it('logout deletes the session with the refresh token (best effort)', async () => {
    const s = await login(pds.url, 'alice.test', pds.password, { http: baseConfig() });
    expect(await logout(s, { http: baseConfig() })).toBe(true);
    expect(pds.liveRefresh.has(s.refreshJwt)).toBe(false);
    expect(pds.authHeaders.at(-1)).toBe(`Bearer ${s.refreshJwt}`);
    await pds.close();
    expect(await logout(s, { http: baseConfig() })).toBe(false);
    pds = await startFakePds();
  });
});

describe('SessionAuth', () => {
  it('adds the Bearer access token', async () => {
    const store = new FileSessionStore(dir);
    const tokens = pds.issue();
    await store.write('default', sessionFor(pds, tokens));
    const auth = new SessionAuth(store, 'default');
    const client = await sessionClient(auth, baseConfig());
    const info = await getSession(client);
    expect(info.did).toBe(pds.did);
    expect(pds.authHeaders).toEqual([`Bearer ${tokens.accessJwt}`]);
  });

  it('no stored session → NotLoggedIn auth error', async () => {
    const auth = new SessionAuth(new FileSessionStore(dir), 'nobody');
    const client = new XrpcClient({ service: pds.url, http: baseConfig(), auth });
    const e = await rejection(client.query('com.atproto.server.getSession'));
    expect(e.kind).toBe('auth');
    expect(e.code).toBe('NotLoggedIn');
  });

  it('ExpiredToken → refresh under lock (refresh token as Bearer), write the new tokens, retry once', async () => {
    const store = new FileSessionStore(dir);
    const old = pds.issue({ accessExpired: true });
    await store.write('default', sessionFor(pds, old));
    const refreshed: SessionData[] = [];
    const auth = new SessionAuth(store, 'default', { onRefresh: (s) => refreshed.push(s) });
    const client = new XrpcClient({ service: pds.url, http: baseConfig(), auth });
    const out = await client.procedure<{ uri: string }>('com.atproto.repo.putRecord', { record: {} });
    expect(out.uri).toBe('at://x/y/z');
    expect(pds.calls['com.atproto.server.refreshSession']).toBe(1);
    expect(pds.calls['com.atproto.repo.putRecord']).toBe(2);
    expect(pds.authHeaders[1]).toBe(`Bearer ${old.refreshJwt}`);
    const stored = await store.read('default');
    expect(stored?.refreshJwt).not.toBe(old.refreshJwt);
    expect(stored?.accessJwt).not.toBe(old.accessJwt);
    expect(pds.liveAccess.has(stored!.accessJwt)).toBe(true);
    expect(pds.authHeaders[2]).toBe(`Bearer ${stored!.accessJwt}`);
    expect(refreshed).toHaveLength(1);
    // lock released, no temp files left
    expect((await readdir(join(dir, 'sessions'))).sort()).toEqual(['default.json']);
  });

  it('InvalidToken on an access JWT whose exp has passed also refreshes', async () => {
    const store = new FileSessionStore(dir);
    const t = pds.issue({ accessExp: Math.floor(Date.now() / 1000) - 60 });
    pds.liveAccess.delete(t.accessJwt); // the server no longer knows it → InvalidToken
    await store.write('default', sessionFor(pds, t));
    const client = new XrpcClient({ service: pds.url, http: baseConfig(), auth: new SessionAuth(store, 'default') });
    await expect(client.query('com.atproto.server.getSession')).resolves.toMatchObject({ did: pds.did });
    expect(pds.calls['com.atproto.server.refreshSession']).toBe(1);
  });

  it('InvalidToken on an unexpired JWT is an auth error without refresh', async () => {
    const store = new FileSessionStore(dir);
    await store.write('default', sessionFor(pds, { accessJwt: makeJwt({ exp: Math.floor(Date.now() / 1000) + 999 }), refreshJwt: 'r' }));
    const client = new XrpcClient({ service: pds.url, http: baseConfig(), auth: new SessionAuth(store, 'default') });
    const e = await rejection(client.query('com.atproto.server.getSession'));
    expect(e.kind).toBe('auth');
    expect(e.code).toBe('InvalidToken');
    expect(pds.calls['com.atproto.server.refreshSession']).toBeUndefined();
  });

  it('a revoked refresh token → SessionExpired with a login hint', async () => {
    const store = new FileSessionStore(dir);
    const t = pds.issue({ accessExpired: true });
    pds.liveRefresh.delete(t.refreshJwt);
    await store.write('default', sessionFor(pds, t));
    const client = new XrpcClient({ service: pds.url, http: baseConfig(), auth: new SessionAuth(store, 'default') });
    const e = await rejection(client.query('com.atproto.server.getSession'));
    expect(e.kind).toBe('auth');
    expect(e.code).toBe('SessionExpired');
    expect(e.hint).toBe('log in again');
    expect(e.message).not.toContain(t.refreshJwt);
    expect((await readdir(join(dir, 'sessions'))).sort()).toEqual(['default.json']);
  });

  it('two stores on the same directory refreshing at once perform exactly one refreshSession', async () => {
    pds.refreshDelayMs = 150;
    const old = pds.issue({ accessExpired: true });
    await new FileSessionStore(dir).write('default', sessionFor(pds, old));
    const clients = [0, 1, 2].map(
      () => new XrpcClient({ service: pds.url, http: baseConfig(), auth: new SessionAuth(new FileSessionStore(dir), 'default') }),
    );
    const results = await Promise.all(clients.map((c) => c.query<{ did: string }>('com.atproto.server.getSession')));
    expect(results.map((r) => r.did)).toEqual([pds.did, pds.did, pds.did]);
    expect(pds.calls['com.atproto.server.refreshSession']).toBe(1);
    const stored = await new FileSessionStore(dir).read('default');
    expect(pds.liveRefresh.has(stored!.refreshJwt)).toBe(true);
  });

  it('many parallel calls in one process refresh once', async () => {
    const store = new FileSessionStore(dir);
    await store.write('default', sessionFor(pds, pds.issue({ accessExpired: true })));
    const client = new XrpcClient({ service: pds.url, http: baseConfig(), auth: new SessionAuth(store, 'default') });
    await Promise.all(Array.from({ length: 8 }, () => client.query('com.atproto.server.getSession')));
    expect(pds.calls['com.atproto.server.refreshSession']).toBe(1);
  });

  it('a process holding stale tokens picks up the ones another process rotated', async () => {
    const store = new FileSessionStore(dir);
    const old = pds.issue({ accessExpired: true });
    await store.write('default', sessionFor(pds, old));
    const a = new SessionAuth(new FileSessionStore(dir), 'default');
    const b = new SessionAuth(new FileSessionStore(dir), 'default');
    await a.session();
    await b.session(); // both cached the old tokens
    const ca = new XrpcClient({ service: pds.url, http: baseConfig(), auth: a });
    const cb = new XrpcClient({ service: pds.url, http: baseConfig(), auth: b });
    await ca.query('com.atproto.server.getSession');
    await cb.query('com.atproto.server.getSession'); // old refresh token is revoked by now: must not be replayed
    expect(pds.calls['com.atproto.server.refreshSession']).toBe(1);
  });

  it('an in-memory session refreshes without touching the disk', async () => {
    const auth = SessionAuth.inMemory(sessionFor(pds, pds.issue({ accessExpired: true })));
    const client = new XrpcClient({ service: pds.url, http: baseConfig(), auth });
    await expect(client.query('com.atproto.server.getSession')).resolves.toMatchObject({ did: pds.did });
    expect(pds.calls['com.atproto.server.refreshSession']).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });
});
