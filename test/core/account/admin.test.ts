import { afterAll, describe, expect, it } from 'vitest';
import { closeHttp } from '../../../src/core/net/http.js';
import { XrpcClient, type SessionData } from '../../../src/core/xrpc/index.js';
import {
  accessScope,
  checkAccountStatus,
  createAccount,
  describeServer,
  findRepoStatus,
  handleInDomains,
  isAppPasswordSession,
  listMissingBlobs,
  signPlcOperation,
} from '../../../src/core/account/admin.js';
import { baseConfig, readBody, startServer } from '../net/helpers.js';

afterAll(async () => {
  await closeHttp();
});

function json(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function jwt(claims: Record<string, unknown>): string {
  return `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
}

const session = (scope: string, flag?: boolean): SessionData => ({
  did: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz',
  handle: 'alice.test',
  pds: 'https://pds.example',
  accessJwt: jwt({ scope }),
  refreshJwt: 'r',
  obtainedAt: new Date().toISOString(),
  ...(flag !== undefined ? { appPassword: flag } : {}),
});

describe('account admin helpers', () => {
  it('matches handles against a host\'s user domains', () => {
    expect(handleInDomains('alice.test', ['.test'])).toBe(true);
    expect(handleInDomains('alice.TEST', ['test'])).toBe(true);
    expect(handleInDomains('test', ['.test'])).toBe(false);
    expect(handleInDomains('alice.example.com', ['.test', '.bsky.social'])).toBe(false);
  });

  it('detects app-password sessions from the stored flag or the token scope', () => {
    expect(isAppPasswordSession(session('com.atproto.access'))).toBe(false);
    expect(isAppPasswordSession(session('com.atproto.appPass'))).toBe(true);
    expect(isAppPasswordSession(session('com.atproto.appPassPrivileged'))).toBe(true);
    expect(isAppPasswordSession(session('com.atproto.access', true))).toBe(true);
    expect(accessScope('garbage')).toBeUndefined();
  });
});

describe('account admin XRPC wrappers (fake PDS)', () => {
  it('describeServer, checkAccountStatus and getRepoStatus parse and check what they rely on', async () => {
    const s = await startServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname.endsWith('describeServer')) return json(res, 200, { did: 'did:web:pds.example', availableUserDomains: ['.test'], inviteCodeRequired: true, links: { termsOfService: 'https://x/tos' } });
      if (url.pathname.endsWith('checkAccountStatus')) return json(res, 200, { activated: false, validDid: false, repoCommit: 'c', repoRev: 'r', repoBlocks: 3, indexedRecords: 2, privateStateValues: 0, expectedBlobs: 1, importedBlobs: 0 });
      if (url.pathname.endsWith('getRepoStatus')) {
        if (url.searchParams.get('did') === 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa') return json(res, 400, { error: 'RepoNotFound', message: 'Could not find repo for DID' });
        return json(res, 200, { did: url.searchParams.get('did'), active: false, status: 'deactivated' });
      }
      json(res, 404, { error: 'MethodNotImplemented' });
    });
    const c = new XrpcClient({ service: s.url, http: baseConfig() });
    expect(await describeServer(c)).toMatchObject({ did: 'did:web:pds.example', availableUserDomains: ['.test'], inviteCodeRequired: true, phoneVerificationRequired: false });
    expect(await checkAccountStatus(c)).toMatchObject({ activated: false, indexedRecords: 2, expectedBlobs: 1, importedBlobs: 0 });
    expect(await findRepoStatus(c, 'did:plc:ewvi7nxzyoun6zhxrhs64oiz')).toMatchObject({ active: false, status: 'deactivated' });
    expect(await findRepoStatus(c, 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa')).toBeNull();
    await s.close();
  });

  it('listMissingBlobs pages through every result and stops on a repeated cursor', async () => {
    const pages: Record<string, unknown> = {
      '': { blobs: [{ cid: 'bafkreia', recordUri: 'at://x/a/1' }, { cid: 'bafkreib', recordUri: 'at://x/a/2' }], cursor: 'bafkreib' },
      bafkreib: { blobs: [{ cid: 'bafkreic', recordUri: 'at://x/a/3' }], cursor: 'bafkreic' },
      bafkreic: { blobs: [], cursor: 'bafkreic' },
    };
    const seen: string[] = [];
    const s = await startServer((req, res) => {
      const cursor = new URL(req.url ?? '/', 'http://x').searchParams.get('cursor') ?? '';
      seen.push(cursor);
      json(res, 200, pages[cursor]);
    });
    const c = new XrpcClient({ service: s.url, http: baseConfig() });
    const got: string[] = [];
    for await (const b of listMissingBlobs(c)) got.push(b.cid);
    expect(got).toEqual(['bafkreia', 'bafkreib', 'bafkreic']);
    expect(seen).toEqual(['', 'bafkreib', 'bafkreic']);
    await s.close();
  });

  it('createAccount sends the service-auth token as the bearer and refuses an account for another DID; the password never appears in errors', async () => {
    let auth: string | undefined;
    let body: Record<string, unknown> = {};
    let reply: { status: number; body: unknown } = { status: 200, body: {} };
    const s = await startServer(async (req, res) => {
      auth = req.headers.authorization;
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
      json(res, reply.status, reply.body);
    });
    const c = new XrpcClient({ service: s.url, http: baseConfig() });
    const did = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
    reply = { status: 200, body: { did, handle: 'alice.test', accessJwt: 'a', refreshJwt: 'r' } };
    const ok = await createAccount(c, { did, handle: 'alice.test', email: 'a@x.test', password: 'pw-secret', serviceAuth: 'svc.jwt.token' });
    expect(auth).toBe('Bearer svc.jwt.token');
    expect(body).toMatchObject({ did, handle: 'alice.test', email: 'a@x.test', password: 'pw-secret' });
    expect(ok.session).toMatchObject({ did, pds: s.url });
    reply = { status: 200, body: { did: 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb', handle: 'alice.test', accessJwt: 'a', refreshJwt: 'r' } };
    await expect(createAccount(c, { did, handle: 'alice.test', email: 'a@x.test', password: 'pw-secret', serviceAuth: 't' })).rejects.toMatchObject({ code: 'DidMismatch' });
    reply = { status: 400, body: { error: 'InvalidRequest', message: 'Handle already taken: alice.test (pw-secret)' } };
    const err = await createAccount(c, { handle: 'alice.test', email: 'a@x.test', password: 'pw-secret' }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'HandleUnavailable' });
    expect((err as Error).message).not.toContain('pw-secret');
    reply = { status: 400, body: { error: 'InvalidInviteCode', message: 'No invite code provided' } };
    await expect(createAccount(c, { handle: 'alice.test', email: 'a@x.test', password: 'p' })).rejects.toMatchObject({ code: 'InviteCodeRequired' });
    await expect(createAccount(c, { did, handle: 'alice.test', email: 'a@x.test', password: 'p' })).rejects.toMatchObject({ code: 'ServiceAuthRequired' });
    await s.close();
  });

  it('signPlcOperation turns a refused e-mail token into PlcTokenRejected without echoing it', async () => {
    const s = await startServer((_req, res) => json(res, 400, { error: 'ExpiredToken', message: 'Token is expired: ABCDE-12345' }));
    const c = new XrpcClient({ service: s.url, http: baseConfig() });
    const err = (await signPlcOperation(c, { token: 'ABCDE-12345' }).catch((e: Error) => e)) as Error & { code: string };
    expect(err.code).toBe('PlcTokenRejected');
    expect(err.message).not.toContain('ABCDE-12345');
    await s.close();
  });
});
