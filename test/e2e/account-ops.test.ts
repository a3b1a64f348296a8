// Account operations through the core functions against the real local network: handle changes
// through DNS and through HTTPS (checked before the PDS is asked, verified both ways after), app
// passwords, preferences export → import, and blob repair after a migration whose blob copy was
// cut short. Every effect is checked through the PDS's and PLC directory's own endpoints.
import { beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { createAccount, createSession, uniqueHandle, xrpc, XrpcError, type PdsInfo, type TestNetwork } from '../network/client.js';
import { coreConfig, network, networkInfo, newAccount, populate, sessionClient } from './helpers.js';
import { applyHandleChange, planHandleChange } from '../../src/core/account/handle.js';
import { createAppPassword, listAppPasswords, revokeAppPassword } from '../../src/core/account/app-passwords.js';
import { exportPreferences, importPreferences, parsePreferences, planPreferencesImport } from '../../src/core/account/preferences.js';
import { copyMissingBlobs } from '../../src/core/account/missing-blobs.js';
import { LexiconCatalog, loadLexicons } from '../../src/core/lexicon/index.js';
import { XrpcClient } from '../../src/core/xrpc/index.js';
import { AtcliError } from '../../src/core/errors.js';
import { canonicalJson } from '../../src/core/util/canonical-json.js';
import type { HttpConfig } from '../../src/core/net/http.js';
import type { IdentityConfig } from '../../src/core/identity/index.js';

async function caught(p: Promise<unknown>): Promise<AtcliError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AtcliError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

async function plcAlsoKnownAs(net: TestNetwork, did: string): Promise<string[]> {
  return ((await (await fetch(`${net.plcUrl}/${did}/data`)).json()) as { alsoKnownAs: string[] }).alsoKnownAs;
}

describe.skipIf(!networkInfo)('account operations (core, real network)', () => {
  let net: TestNetwork;
  let http: HttpConfig;
  let identity: IdentityConfig;
  // A PDS whose own handle domain is .hosted.test, so other .test names are domains of the user's own.
  let pds: PdsInfo;

  beforeAll(async () => {
    net = await network();
    pds = await net.startPds('handles', { serviceHandleDomains: ['.hosted.test'] });
    // Every handle's port 80 goes to the network's well-known server (the HTTPS method in dev mode).
    ({ http, identity } = coreConfig(net, [`:80:127.0.0.1:${net.wellKnown.port}`]));
  });

  const hostedAccount = async (prefix: string): Promise<{ did: string; password: string; client: XrpcClient }> => {
    const handle = `${prefix}-${Math.random().toString(36).slice(2, 8)}.hosted.test`;
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    const s = await createAccount(pds.url, { handle, email: `${handle}@mail.test`, password });
    return { did: s.did, password, client: await sessionClient(http, pds.url, s.did, password) };
  };

  it('update-handle through DNS: refused with the exact TXT record until it exists, then set and verified both ways', async () => {
    const acct = await hostedAccount('hdns');
    const handle = uniqueHandle('viadns');
    const plan = await planHandleChange(acct.client, identity, handle);
    expect(plan).toMatchObject({ did: acct.did, handle, pdsDomain: false, ready: false, dns: { status: 'none' }, https: { status: 'none' } });
    expect(plan.publish).toEqual({
      dns: { name: `_atproto.${handle}`, type: 'TXT', value: `did=${acct.did}` },
      https: { url: `https://${handle}/.well-known/atproto-did`, body: acct.did, contentType: 'text/plain' },
    });
    const refused = await caught(applyHandleChange(acct.client, identity, plan));
    expect(refused).toMatchObject({ kind: 'invalid', code: 'HandleNotReady' });
    expect(refused.hint).toContain(`_atproto.${handle} TXT "did=${acct.did}"`);
    expect(await plcAlsoKnownAs(net, acct.did)).not.toContain(`at://${handle}`);

    // A record naming another DID is named as the problem.
    await net.setTxt(`_atproto.${handle}`, [['did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa']]);
    const wrong = await planHandleChange(acct.client, identity, handle);
    expect(wrong.ready).toBe(false);
    expect(wrong.problems.join(' ')).toContain('names did:plc:aaaaaaaaaaaaaaaaaaaaaaaa');

    await net.setTxt(plan.publish!.dns.name, [[plan.publish!.dns.value]]);
    const ready = await planHandleChange(acct.client, identity, handle);
    expect(ready).toMatchObject({ ready: true, dns: { status: 'found', did: acct.did } });
    const done = await applyHandleChange(acct.client, identity, ready);
    expect(done).toMatchObject({ did: acct.did, handle, verification: { resolves: true, listed: true, verified: true, method: 'dns' } });
    expect(await plcAlsoKnownAs(net, acct.did)).toEqual([`at://${handle}`]);
    expect(await xrpc(pds.url, 'com.atproto.identity.resolveHandle', { params: { handle } })).toEqual({ did: acct.did });
  });

  it('update-handle through HTTPS (the well-known file), verified both ways', async () => {
    const acct = await hostedAccount('hweb');
    const handle = uniqueHandle('viaweb');
    const before = await planHandleChange(acct.client, identity, handle);
    expect(before.ready).toBe(false);
    await net.setWellKnown(handle, before.publish!.https.body);
    const ready = await planHandleChange(acct.client, identity, handle);
    expect(ready).toMatchObject({ ready: true, dns: { status: 'none' }, https: { status: 'found', did: acct.did } });
    const done = await applyHandleChange(acct.client, identity, ready);
    expect(done.verification).toMatchObject({ resolves: true, listed: true, verified: true, method: 'https' });
    expect(await plcAlsoKnownAs(net, acct.did)).toEqual([`at://${handle}`]);

    // A handle on the PDS's own domain needs nothing published.
    const own = `back-${Math.random().toString(36).slice(2, 8)}.hosted.test`;
    const ownPlan = await planHandleChange(acct.client, identity, own);
    expect(ownPlan).toMatchObject({ pdsDomain: true, ready: true, publish: null });
  });

  it('app passwords: create (returned once), list, revoke; login by the app password is refused after revoke', async () => {
    const acct = await newAccount(net, 'apppw');
    const client = await sessionClient(http, acct.pdsUrl, acct.did, acct.password);
    const created = await createAppPassword(client, 'ci runner');
    expect(created).toMatchObject({ name: 'ci runner', privileged: false, password: expect.stringMatching(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/) });
    const listed = await listAppPasswords(client);
    expect(listed.map((p) => p.name)).toContain('ci runner');
    expect(JSON.stringify(listed)).not.toContain(created.password);
    const raw = await xrpc<{ passwords: Array<{ name: string }> }>(acct.pdsUrl, 'com.atproto.server.listAppPasswords', { accessJwt: acct.accessJwt });
    expect(raw.passwords.map((p) => p.name)).toContain('ci runner');

    // The app password logs in; its session cannot manage app passwords.
    const appSession = await createSession(acct.pdsUrl, acct.handle, created.password);
    expect(appSession.did).toBe(acct.did);
    const appClient = await sessionClient(http, acct.pdsUrl, acct.handle, created.password);
    const denied = await caught(createAppPassword(appClient, 'nested'));
    expect(denied).toMatchObject({ kind: 'auth', code: 'FullAccessRequired' });

    expect(await revokeAppPassword(client, 'ci runner')).toEqual({ name: 'ci runner', revoked: true });
    let refused: unknown;
    try {
      await createSession(acct.pdsUrl, acct.handle, created.password);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(XrpcError);
    expect((refused as XrpcError).status).toBe(401);
    expect((await listAppPasswords(client)).map((p) => p.name)).not.toContain('ci runner');
    const missing = await caught(revokeAppPassword(client, 'ci runner'));
    expect(missing).toMatchObject({ kind: 'notFound', code: 'AppPasswordNotFound' });
    const texts = [denied, missing].map((e) => `${e.message} ${e.hint ?? ''} ${JSON.stringify(e.details ?? {})}`).join('\n');
    expect(texts).not.toContain(created.password);
  });

  it('prefs export → import on another account gives equal preferences; the import is checked against the lexicon and diffed first', async () => {
    const catalog = new LexiconCatalog();
    await loadLexicons([fileURLToPath(new URL('../../lexicons', import.meta.url))], catalog);
    const from = await newAccount(net, 'prefsa');
    const to = await newAccount(net, 'prefsb');
    const prefs = [
      { $type: 'app.bsky.actor.defs#adultContentPref', enabled: false },
      { $type: 'app.bsky.actor.defs#contentLabelPref', label: 'nsfw', visibility: 'hide' },
      { $type: 'app.bsky.actor.defs#savedFeedsPrefV2', items: [{ id: '3kabcdefghij2', type: 'timeline', value: 'following', pinned: true }] },
      { $type: 'app.bsky.actor.defs#mutedWordsPref', items: [{ value: 'spoiler', targets: ['content', 'tag'] }] },
      { $type: 'app.bsky.actor.defs#threadViewPref', sort: 'newest' },
    ];
    await xrpc(from.pdsUrl, 'app.bsky.actor.putPreferences', { accessJwt: from.accessJwt, body: { preferences: prefs } });
    await xrpc(to.pdsUrl, 'app.bsky.actor.putPreferences', { accessJwt: to.accessJwt, body: { preferences: [{ $type: 'app.bsky.actor.defs#threadViewPref', sort: 'oldest' }] } });

    const fromClient = await sessionClient(http, from.pdsUrl, from.did, from.password);
    const exported = await exportPreferences(fromClient);
    expect(canonicalJson(exported.preferences)).toBe(canonicalJson((await xrpc<{ preferences: unknown[] }>(from.pdsUrl, 'app.bsky.actor.getPreferences', { accessJwt: from.accessJwt })).preferences));

    // The exported file as text, as a user would keep it.
    const document = JSON.parse(JSON.stringify(exported)) as unknown;
    const parsed = parsePreferences(document, catalog);
    const toClient = await sessionClient(http, to.pdsUrl, to.did, to.password);
    const plan = await planPreferencesImport(toClient, parsed);
    expect(plan.identical).toBe(false);
    expect(plan.changes.map((c) => [c.type, c.change]).sort()).toEqual(
      [
        ['app.bsky.actor.defs#adultContentPref', 'added'],
        ['app.bsky.actor.defs#contentLabelPref', 'added'],
        ['app.bsky.actor.defs#mutedWordsPref', 'added'],
        ['app.bsky.actor.defs#savedFeedsPrefV2', 'added'],
        ['app.bsky.actor.defs#threadViewPref', 'changed'],
      ].sort(),
    );
    // Planning wrote nothing.
    expect((await xrpc<{ preferences: unknown[] }>(to.pdsUrl, 'app.bsky.actor.getPreferences', { accessJwt: to.accessJwt })).preferences).toHaveLength(1);
    expect(await importPreferences(toClient, plan)).toEqual({ written: prefs.length, identical: true });
    const after = (await xrpc<{ preferences: unknown[] }>(to.pdsUrl, 'app.bsky.actor.getPreferences', { accessJwt: to.accessJwt })).preferences;
    expect(canonicalJson(after)).toBe(canonicalJson(exported.preferences));
    expect((await planPreferencesImport(toClient, parsed)).identical).toBe(true);

    const bad = await caught(Promise.resolve().then(() => parsePreferences({ preferences: [{ $type: 'app.bsky.actor.defs#adultContentPref', enabled: 'yes' }] }, catalog)));
    expect(bad).toMatchObject({ kind: 'invalid', code: 'InvalidPreferences' });
    expect(bad.message).toContain('enabled');
    expect((await caught(Promise.resolve().then(() => parsePreferences({ prefs: [] }, catalog)))).code).toBe('InvalidPreferences');
  });

  it('blob repair: after a migration whose blob copy was cut short, missing-blobs copy-from leaves the new host with nothing missing (MIME kept, resumable)', async () => {
    const old = await newAccount(net, 'mbold', 'a');
    const { blobs } = await populate(old, { posts: 8, likes: 0, follows: 0, imagePosts: 6 });
    expect(blobs).toHaveLength(7);
    // A json blob too, so more than one MIME type travels.
    const jsonBytes = new TextEncoder().encode(JSON.stringify({ note: 'a json blob', n: 42 }));
    const jsonRef = (await xrpc<{ blob: { ref: { $link: string } } }>(old.pdsUrl, 'com.atproto.repo.uploadBlob', { accessJwt: old.accessJwt, bytes: jsonBytes, contentType: 'application/json' })).blob;
    await xrpc(old.pdsUrl, 'com.atproto.repo.createRecord', { accessJwt: old.accessJwt, body: { repo: old.did, collection: 'com.example.attachment', record: { $type: 'com.example.attachment', file: jsonRef } } });

    // The migration, by hand: a deactivated account for the same DID on host B, the repo imported,
    // and only two blobs copied before it was cut short; then the old account deactivated.
    const { token } = await xrpc<{ token: string }>(old.pdsUrl, 'com.atproto.server.getServiceAuth', {
      accessJwt: old.accessJwt,
      params: { aud: net.pds.b.did, lxm: 'com.atproto.server.createAccount' },
    });
    const newPassword = `new-${old.password}`;
    await xrpc(net.pds.b.url, 'com.atproto.server.createAccount', {
      body: { did: old.did, handle: old.handle, email: old.email, password: newPassword },
      headers: { authorization: `Bearer ${token}` },
    });
    const newSession = await createSession(net.pds.b.url, old.did, newPassword);
    const car = new Uint8Array(await (await fetch(`${old.pdsUrl}/xrpc/com.atproto.sync.getRepo?did=${old.did}`)).arrayBuffer());
    await xrpc(net.pds.b.url, 'com.atproto.repo.importRepo', { accessJwt: newSession.accessJwt, bytes: car, contentType: 'application/vnd.ipld.car' });
    for (const ref of blobs.slice(0, 2)) {
      const res = await fetch(`${old.pdsUrl}/xrpc/com.atproto.sync.getBlob?did=${old.did}&cid=${ref.ref.$link}`);
      await xrpc(net.pds.b.url, 'com.atproto.repo.uploadBlob', { accessJwt: newSession.accessJwt, bytes: new Uint8Array(await res.arrayBuffer()), contentType: res.headers.get('content-type') ?? 'application/octet-stream' });
    }
    const missing = async (): Promise<string[]> => {
      const out: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await xrpc<{ blobs: Array<{ cid: string }>; cursor?: string }>(net.pds.b.url, 'com.atproto.repo.listMissingBlobs', { accessJwt: newSession.accessJwt, params: { limit: 1000, cursor } });
        out.push(...page.blobs.map((b) => b.cid));
        if (page.blobs.length === 0 || page.cursor === undefined) return [...new Set(out)];
        cursor = page.cursor;
      }
    };
    expect(await missing()).toHaveLength(6);
    await xrpc(old.pdsUrl, 'com.atproto.server.deactivateAccount', { accessJwt: old.accessJwt, body: {} });

    const target = await sessionClient(http, net.pds.b.url, old.did, newPassword);
    // The old host serves a deactivated account's blobs only to the account itself.
    const anonymous = new XrpcClient({ service: old.pdsUrl, http });
    const closed = await caught(copyMissingBlobs({ target, source: anonymous, did: old.did }));
    expect(closed).toMatchObject({ kind: 'auth', code: 'SourceNeedsLogin' });
    const source = await sessionClient(http, old.pdsUrl, old.did, old.password);

    // Interrupted after one blob: the rest is still listed as missing, and a second run copies it.
    const ctl = new AbortController();
    const cut = await caught(copyMissingBlobs({ target, source, did: old.did, concurrency: 1, signal: ctl.signal, onProgress: (p) => p.copied >= 1 && ctl.abort() }));
    expect(cut.kind).toBe('interrupted');
    const left = await missing();
    expect(left.length).toBeLessThan(6);
    expect(left.length).toBeGreaterThan(0);

    const result = await copyMissingBlobs({ target, source, did: old.did, concurrency: 2 });
    expect(result).toMatchObject({ did: old.did, missingBefore: left.length, copied: left.length, failed: [], missingAfter: 0 });
    expect(result.mimeTypes).toEqual(left.includes(jsonRef.ref.$link) ? { 'image/png': left.length - 1, 'application/json': 1 } : { 'image/png': left.length });
    expect(await missing()).toEqual([]);
    // MIME types as the old host served them.
    const ctOld = await fetch(`${old.pdsUrl}/xrpc/com.atproto.sync.getBlob?did=${old.did}&cid=${jsonRef.ref.$link}`, { headers: { authorization: `Bearer ${(await createSession(old.pdsUrl, old.did, old.password)).accessJwt}` } });
    const ctNew = await fetch(`${net.pds.b.url}/xrpc/com.atproto.sync.getBlob?did=${old.did}&cid=${jsonRef.ref.$link}`, { headers: { authorization: `Bearer ${newSession.accessJwt}` } });
    expect(ctNew.status).toBe(200);
    expect(ctNew.headers.get('content-type')?.split(';')[0]).toBe(ctOld.headers.get('content-type')?.split(';')[0]);
    expect(Buffer.from(await ctNew.arrayBuffer()).equals(Buffer.from(jsonBytes))).toBe(true);

    // Nothing left: a further run is a no-op.
    expect(await copyMissingBlobs({ target, source, did: old.did })).toMatchObject({ missingBefore: 0, copied: 0, missingAfter: 0, rounds: 0 });
  });
});
