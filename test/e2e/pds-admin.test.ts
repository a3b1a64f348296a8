// PDS operation through the core functions against the real local PDSes: describe, health,
// accounts (listRepos), and every admin function — each change checked through the PDS's own
// endpoints with plain fetch, never through atcli's code.
import { beforeAll, describe, expect, it } from 'vitest';
import { createSession, uniqueHandle, uploadBlob, xrpc, XrpcError, type PdsInfo, type TestNetwork } from '../network/client.js';
import { coreConfig, network, networkInfo, newAccount, type TestAccount } from './helpers.js';
import {
  accountInfo,
  blobStatus,
  countRepos,
  createAccountAsAdmin,
  createInviteCodes,
  describePds,
  disableInviteCodes,
  executeAdminAction,
  listAccounts,
  listInviteCodes,
  listRepos,
  pdsAdmin,
  pdsHealth,
  planAdminAction,
  resetAccountPassword,
  updateAccountEmail,
  updateAccountHandle,
  type HostedRepo,
  type PdsAdmin,
} from '../../src/core/pds/index.js';
import { AtcliError } from '../../src/core/errors.js';
import { XrpcClient } from '../../src/core/xrpc/index.js';
import type { HttpConfig } from '../../src/core/net/http.js';

/** Everything a test saw (results and errors), to prove no secret is in any of it. */
const seen: unknown[] = [];
const keep = <T>(v: T): T => (seen.push(v), v);

function adminHeaders(password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` };
}

async function fails(p: Promise<unknown>): Promise<XrpcError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof XrpcError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe.skipIf(!networkInfo)('PDS operation and administration (core, real PDS)', () => {
  let net: TestNetwork;
  let http: HttpConfig;
  let admin: PdsAdmin;
  let invitePds: PdsInfo;

  beforeAll(async () => {
    net = await network();
    http = coreConfig(net).http;
    admin = pdsAdmin(http, net.pds.a.url, net.adminPassword);
    invitePds = await net.startPds('c', { inviteRequired: true });
  });

  it('describe and health answer what the PDS serves', async () => {
    const d = keep(await describePds(http, net.pds.a.url));
    const raw = await xrpc<{ did: string; availableUserDomains: string[]; inviteCodeRequired?: boolean }>(net.pds.a.url, 'com.atproto.server.describeServer');
    expect(d).toMatchObject({ url: net.pds.a.url, did: raw.did, availableUserDomains: raw.availableUserDomains, inviteCodeRequired: false });
    expect((await describePds(http, invitePds.url)).inviteCodeRequired).toBe(true);
    const h = keep(await pdsHealth(http, net.pds.a.url));
    const rawHealth = (await (await fetch(`${net.pds.a.url}/xrpc/_health`)).json()) as { version: string };
    expect(h).toMatchObject({ healthy: true, status: 200, version: rawHealth.version });
    await expect(pdsHealth(http, 'http://127.0.0.1:1')).rejects.toMatchObject({ code: 'NetworkError' });
  });

  it('accounts: listRepos with status and rev, a status filter and a count', async () => {
    const live = await newAccount(net, 'lsact', 'b');
    const off = await newAccount(net, 'lsoff', 'b');
    await xrpc(off.pdsUrl, 'com.atproto.server.deactivateAccount', { accessJwt: off.accessJwt, body: {} });
    const client = new XrpcClient({ service: net.pds.b.url, http });
    const all = await collect(listRepos(client, { pageSize: 2 }));
    const head = await xrpc<{ cid: string; rev: string }>(live.pdsUrl, 'com.atproto.sync.getLatestCommit', { params: { did: live.did } });
    expect(all.find((r) => r.did === live.did)).toEqual<HostedRepo>({ did: live.did, head: head.cid, rev: head.rev, active: true });
    expect(all.find((r) => r.did === off.did)).toMatchObject({ active: false, status: 'deactivated' });
    const deactivated = await collect(listRepos(client, { status: 'deactivated' }));
    expect(deactivated.map((r) => r.did)).toContain(off.did);
    expect(deactivated.map((r) => r.did)).not.toContain(live.did);
    const count = await countRepos(client, { pageSize: 3 });
    expect(count.total).toBe(all.length);
    expect(count.active + Object.values(count.inactive).reduce((a, b) => a + b, 0)).toBe(count.total);
    expect(count.inactive['deactivated']).toBeGreaterThanOrEqual(1);
  });

  it('account list and info show what getAccountInfo and getRepoStatus report', async () => {
    const acct = await newAccount(net, 'adinfo');
    const listed = keep((await collect(listAccounts(admin))).find((a) => a.did === acct.did));
    expect(listed).toMatchObject({ did: acct.did, handle: acct.handle, email: acct.email, active: true });
    const info = keep(await accountInfo(admin, acct.handle));
    const raw = await xrpc<{ handle: string; email: string; indexedAt: string }>(net.pds.a.url, 'com.atproto.admin.getAccountInfo', { params: { did: acct.did }, headers: adminHeaders(net.adminPassword) });
    expect(info).toMatchObject({ did: acct.did, handle: raw.handle, email: raw.email, createdAt: raw.indexedAt, takedown: { applied: false }, repo: { did: acct.did, active: true } });
  });

  it('create (with an invite made for it on an invite-only PDS), update-handle, update-email, reset-password', async () => {
    const adminC = pdsAdmin(http, invitePds.url, net.adminPassword);
    const handle = uniqueHandle('adcreate');
    // A plain createAccount without a code is refused on this host.
    expect((await fails(xrpc(invitePds.url, 'com.atproto.server.createAccount', { body: { handle, email: `${handle}@mail.test`, password: 'x-pw-123456' } }))).message).toMatch(/invite/i);
    const created = keep(await createAccountAsAdmin(adminC, { handle, email: `${handle}@mail.test` }));
    expect(created.inviteCode).toBeDefined();
    expect(created.password).toMatch(/^[a-z2-7]{24}$/);
    const session = await createSession(invitePds.url, handle, created.password!);
    expect(session.did).toBe(created.did);

    const newHandle = uniqueHandle('adrenamed');
    const renamed = keep(await updateAccountHandle(adminC, created.did, newHandle));
    expect(renamed.handle).toBe(newHandle);
    expect(await xrpc<{ did: string }>(invitePds.url, 'com.atproto.identity.resolveHandle', { params: { handle: newHandle } })).toEqual({ did: created.did });
    const plc = (await (await fetch(`${net.plcUrl}/${created.did}/data`)).json()) as { alsoKnownAs: string[] };
    expect(plc.alsoKnownAs).toEqual([`at://${newHandle}`]);

    const email = `renamed-${newHandle}@mail.test`;
    keep(await updateAccountEmail(adminC, newHandle, email));
    const raw = await xrpc<{ email: string }>(invitePds.url, 'com.atproto.admin.getAccountInfo', { params: { did: created.did }, headers: adminHeaders(net.adminPassword) });
    expect(raw.email).toBe(email);

    const reset = keep(await resetAccountPassword(adminC, created.did));
    expect(reset.password).toMatch(/^[a-z2-7]{24}$/);
    expect((await fails(createSession(invitePds.url, created.did, created.password!))).status).toBe(401);
    expect((await createSession(invitePds.url, created.did, reset.password!)).did).toBe(created.did);
    const chosen = `chosen-${Math.random().toString(36).slice(2)}`;
    expect(keep(await resetAccountPassword(adminC, created.did, chosen))).toEqual({ did: created.did });
    expect((await createSession(invitePds.url, created.did, chosen)).did).toBe(created.did);
  });

  it('takedown then untakedown round-trips (plan first, then the change; the PDS reports each state)', async () => {
    const acct = await newAccount(net, 'adtake');
    const plan = keep(await planAdminAction(admin, 'takedown', acct.did, { ref: 'case-123' }));
    expect(plan).toMatchObject({ action: 'takedown', did: acct.did, handle: acct.handle, takedownBefore: { applied: false }, ref: 'case-123', reversible: true, noop: false });
    expect(plan.summary).toContain(acct.did);
    // Planning changed nothing.
    expect(await xrpc(net.pds.a.url, 'com.atproto.sync.getRepoStatus', { params: { did: acct.did } })).toMatchObject({ active: true });

    const done = keep(await executeAdminAction(admin, plan));
    expect(done.takedown).toEqual({ applied: true, ref: 'case-123' });
    expect(await xrpc(net.pds.a.url, 'com.atproto.sync.getRepoStatus', { params: { did: acct.did } })).toMatchObject({ active: false, status: 'takendown' });
    const subject = await xrpc<{ takedown: { applied: boolean; ref: string } }>(net.pds.a.url, 'com.atproto.admin.getSubjectStatus', { params: { did: acct.did }, headers: adminHeaders(net.adminPassword) });
    expect(subject.takedown).toEqual({ applied: true, ref: 'case-123' });
    expect((await fails(createSession(net.pds.a.url, acct.handle, acct.password))).error).toBe('AccountTakedown');
    expect((await planAdminAction(admin, 'takedown', acct.did)).noop).toBe(true);

    const undo = keep(await planAdminAction(admin, 'untakedown', acct.did));
    expect(undo).toMatchObject({ takedownBefore: { applied: true, ref: 'case-123' }, noop: false });
    expect(keep(await executeAdminAction(admin, undo)).takedown).toMatchObject({ applied: false });
    expect(await xrpc(net.pds.a.url, 'com.atproto.sync.getRepoStatus', { params: { did: acct.did } })).toMatchObject({ active: true });
    expect((await createSession(net.pds.a.url, acct.handle, acct.password)).did).toBe(acct.did);
  });

  it('delete: the plan says it cannot be undone; afterwards the PDS has no such repository', async () => {
    const acct = await newAccount(net, 'addel');
    const plan = keep(await planAdminAction(admin, 'delete', acct.handle));
    expect(plan).toMatchObject({ action: 'delete', did: acct.did, reversible: false, noop: false });
    expect(plan.effects.join(' ')).toMatch(/cannot be undone/);
    const done = keep(await executeAdminAction(admin, plan));
    expect(done.repo).toBeNull();
    const err = await fails(xrpc(net.pds.a.url, 'com.atproto.sync.getRepoStatus', { params: { did: acct.did } }));
    expect(err.error).toBe('RepoNotFound');
    expect((await fails(createSession(net.pds.a.url, acct.did, acct.password))).status).toBe(401);
  });

  it('invites: created codes let a new account in on the invite-only PDS; list shows the use; disabled codes are refused', async () => {
    const adminC = pdsAdmin(http, invitePds.url, net.adminPassword);
    const made = keep(await createInviteCodes(adminC, { count: 2, useCount: 1 }));
    expect(made.codes).toHaveLength(2);
    const [use, kill] = made.codes as [string, string];
    const handle = uniqueHandle('invited');
    const account = await xrpc<{ did: string }>(invitePds.url, 'com.atproto.server.createAccount', { body: { handle, email: `${handle}@mail.test`, password: 'invited-pw-1', inviteCode: use } });

    const listed = keep(await collect(listInviteCodes(adminC, { pageSize: 2 })));
    const raw = await xrpc<{ codes: Array<{ code: string; uses: Array<{ usedBy: string }>; disabled: boolean }> }>(invitePds.url, 'com.atproto.admin.getInviteCodes', { params: { limit: 500 }, headers: adminHeaders(net.adminPassword) });
    expect(listed.map((c) => c.code).sort()).toEqual(raw.codes.map((c) => c.code).sort());
    expect(listed.find((c) => c.code === use)).toMatchObject({ used: 1, uses: [{ usedBy: account.did }], disabled: false });
    expect((await collect(listInviteCodes(adminC, { filter: 'used' }))).map((c) => c.code)).toContain(use);
    expect((await collect(listInviteCodes(adminC, { filter: 'free' }))).map((c) => c.code)).toContain(kill);

    keep(await disableInviteCodes(adminC, { codes: [kill] }));
    const after = await xrpc<{ codes: Array<{ code: string; disabled: boolean }> }>(invitePds.url, 'com.atproto.admin.getInviteCodes', { params: { limit: 500 }, headers: adminHeaders(net.adminPassword) });
    expect(after.codes.find((c) => c.code === kill)?.disabled).toBe(true);
    const h2 = uniqueHandle('refused');
    expect((await fails(xrpc(invitePds.url, 'com.atproto.server.createAccount', { body: { handle: h2, email: `${h2}@mail.test`, password: 'refused-pw-1', inviteCode: kill } }))).message).toMatch(/invite/i);
    expect((await collect(listInviteCodes(adminC, { filter: 'disabled' }))).map((c) => c.code)).toContain(kill);
  });

  it('blob takedown, status and untakedown change what getBlob serves', async () => {
    const acct: TestAccount = await newAccount(net, 'adblob');
    const bytes = new Uint8Array(300).map((_, i) => (i * 7) & 0xff);
    bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const ref = await uploadBlob(acct.pdsUrl, acct.accessJwt, bytes, 'image/png');
    await xrpc(acct.pdsUrl, 'com.atproto.repo.createRecord', { accessJwt: acct.accessJwt, body: { repo: acct.did, collection: 'com.example.blob', record: { $type: 'com.example.blob', file: ref } } });
    const cid = ref.ref.$link;
    const getBlob = (): Promise<Response> => fetch(`${acct.pdsUrl}/xrpc/com.atproto.sync.getBlob?did=${acct.did}&cid=${cid}`);
    expect((await getBlob()).status).toBe(200);

    expect(keep(await blobStatus(admin, acct.did, cid))).toMatchObject({ did: acct.did, cid });
    const plan = keep(await planAdminAction(admin, 'blob-takedown', acct.did, { cid, ref: 'blob-case' }));
    expect(plan).toMatchObject({ action: 'blob-takedown', cid, noop: false, reversible: true });
    expect(keep(await executeAdminAction(admin, plan)).takedown).toEqual({ applied: true, ref: 'blob-case' });
    expect((await getBlob()).status).not.toBe(200);
    expect(keep(await blobStatus(admin, acct.handle, cid)).takedown).toEqual({ applied: true, ref: 'blob-case' });
    const raw = await xrpc<{ takedown: { applied: boolean } }>(acct.pdsUrl, 'com.atproto.admin.getSubjectStatus', { params: { did: acct.did, blob: cid }, headers: adminHeaders(net.adminPassword) });
    expect(raw.takedown.applied).toBe(true);

    keep(await executeAdminAction(admin, await planAdminAction(admin, 'blob-untakedown', acct.did, { cid })));
    expect((await getBlob()).status).toBe(200);
  });

  it('a wrong admin password is an auth error that names no password; no result or error holds the admin password', async () => {
    const wrong = `wrong-${Math.random().toString(36).slice(2)}-pw`;
    const bad = pdsAdmin(http, net.pds.a.url, wrong);
    const acct = await newAccount(net, 'adwrong');
    let err: unknown;
    try {
      await accountInfo(bad, acct.did);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AtcliError);
    expect(err).toMatchObject({ kind: 'auth', code: 'AdminAuthRefused' });
    const text = JSON.stringify({ message: (err as AtcliError).message, hint: (err as AtcliError).hint, details: (err as AtcliError).details });
    expect(text).not.toContain(wrong);
    const everything = JSON.stringify(seen);
    expect(seen.length).toBeGreaterThan(10);
    expect(everything).not.toContain(net.adminPassword);
    expect(everything).not.toContain(Buffer.from(`admin:${net.adminPassword}`).toString('base64'));
  });
});
