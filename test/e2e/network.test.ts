// Proves the local test network (test/network, started by
// test/setup/network.global.ts) works: PLC, two PDSes, DNS, did:web, mail.

import { promises as dnsPromises } from 'node:dns';
import http from 'node:http';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  connectNetwork,
  createAccount,
  createRecord,
  uniqueHandle,
  updateHandle,
  uploadBlob,
  xrpc,
  type TestNetwork,
} from '../network/client.js';

const info = inject('network');

function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

describe.skipIf(!info)('local test network', () => {
  let net: TestNetwork;
  let resolver: dnsPromises.Resolver;

  beforeAll(async () => {
    net = await connectNetwork(info!);
    resolver = new dnsPromises.Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([net.dnsServer]);
  });

  it('has a PLC directory that answers', async () => {
    const res = await fetch(`${net.plcUrl}/_health`);
    expect(res.ok).toBe(true);
  });

  it.each(['a', 'b'] as const)('PDS %s answers describeServer', async (name) => {
    const desc = await xrpc<{ did: string; availableUserDomains: string[] }>(
      net.pds[name].url,
      'com.atproto.server.describeServer',
    );
    expect(desc.did).toBe(net.pds[name].did);
    expect(desc.availableUserDomains).toContain('.test');
  });

  it('registers an account created on PDS a in PLC, and serves its handle', async () => {
    const handle = uniqueHandle('alice');
    const email = `${handle}@mail.test`;
    const acct = await createAccount(net.pds.a.url, { handle, email, password: 'pw-alice' }, net.adminPassword);
    expect(acct.did).toMatch(/^did:plc:/);
    expect(acct.handle).toBe(handle);

    const res = await fetch(`${net.plcUrl}/${acct.did}`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { id: string; alsoKnownAs: string[]; service: { serviceEndpoint: string }[] };
    expect(doc.id).toBe(acct.did);
    expect(doc.alsoKnownAs).toContain(`at://${handle}`);
    expect(doc.service[0]?.serviceEndpoint).toBe(net.pds.a.url);

    // GET /.well-known/atproto-did with Host: <handle>
    // (fetch does not let us set Host, so plain node:http)
    const wk = await getWithHost(`${net.pds.a.url}/.well-known/atproto-did`, handle);
    expect(wk.status).toBe(200);
    expect(wk.body.trim()).toBe(acct.did);
    expect((await getWithHost(`${net.pds.a.url}/.well-known/atproto-did`, 'nobody.test')).status).toBe(404);

    const rec = await createRecord(net.pds.a.url, acct.accessJwt, acct.did, 'app.bsky.feed.post', {
      $type: 'app.bsky.feed.post',
      text: 'hello from the test network',
      createdAt: new Date().toISOString(),
    });
    expect(rec.uri).toMatch(new RegExp(`^at://${acct.did}/app.bsky.feed.post/`));
    const blob = await uploadBlob(net.pds.a.url, acct.accessJwt, new TextEncoder().encode('blob bytes'), 'text/plain');
    expect(blob.size).toBe(10);
  });

  it('creates accounts on PDS b too', async () => {
    const handle = uniqueHandle('bob');
    const acct = await createAccount(net.pds.b.url, { handle, email: `${handle}@mail.test`, password: 'pw-bob' });
    const doc = (await (await fetch(`${net.plcUrl}/${acct.did}`)).json()) as { service: { serviceEndpoint: string }[] };
    expect(doc.service[0]?.serviceEndpoint).toBe(net.pds.b.url);
  });

  it('answers TXT records set through the control API (two records, split strings)', async () => {
    const name = `_atproto.${Math.random().toString(36).slice(2, 8)}.example.com`;
    await net.setTxt(name, [['did=did:plc:abc'], ['part one ', 'part two']]);
    const records = await resolver.resolveTxt(name);
    expect(records).toEqual([['did=did:plc:abc'], ['part one ', 'part two']]);

    // long records do not fit a UDP answer; the resolver retries over TCP
    const long = Array.from({ length: 8 }, (_, i) => [`${'x'.repeat(300)}${i}`]);
    await net.setTxt(name, long);
    const got = await resolver.resolveTxt(name);
    expect(got.map((r) => r.join(''))).toEqual(long.map((r) => r[0]));

    await net.setTxt(name, []);
    await expect(resolver.resolveTxt(name)).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver.resolveTxt('unknown.example.org')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('answers A queries under .test with 127.0.0.1', async () => {
    expect(await resolver.resolve4('anything.test')).toEqual(['127.0.0.1']);
  });

  it('lets a PDS verify a custom-domain handle through the local DNS', async () => {
    const acct = await createAccount(net.pds.a.url, {
      handle: uniqueHandle('carol'),
      email: 'carol@mail.test',
      password: 'pw-carol',
    });
    const domain = `carol-${Math.random().toString(36).slice(2, 8)}.example.com`;
    await net.setTxt(`_atproto.${domain}`, [[`did=${acct.did}`]]);
    await updateHandle(net.pds.a.url, acct.accessJwt, domain);
    const doc = (await (await fetch(`${net.plcUrl}/${acct.did}`)).json()) as { alsoKnownAs: string[] };
    expect(doc.alsoKnownAs).toContain(`at://${domain}`);
  });

  it('serves the did:web document set through the control API', async () => {
    const document = { '@context': ['https://www.w3.org/ns/did/v1'], id: net.didWeb.did };
    await net.setDidWeb(document);
    const res = await fetch(`${net.didWeb.url}/.well-known/did.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(document);
    expect(net.didWeb.did).toBe(`did:web:localhost%3A${net.didWeb.port}`);
  });

  it('captures the PLC operation e-mail and its token', async () => {
    const handle = uniqueHandle('dave');
    const email = `${handle}@mail.test`;
    const acct = await createAccount(net.pds.a.url, { handle, email, password: 'pw-dave' });
    await xrpc(net.pds.a.url, 'com.atproto.identity.requestPlcOperationSignature', {
      method: 'POST',
      accessJwt: acct.accessJwt,
    });
    const mails = await net.mail(email);
    const plcMail = mails.find((m) => m.template === 'plcOperation');
    expect(plcMail?.subject).toMatch(/PLC/);
    expect(plcMail?.token).toMatch(/^[A-Z2-7]{5}-[A-Z2-7]{5}$/i);
    expect(plcMail?.text).toContain(plcMail?.token);

    // the token is accepted by signPlcOperation
    const signed = await xrpc<{ operation: { type: string } }>(
      net.pds.a.url,
      'com.atproto.identity.signPlcOperation',
      { accessJwt: acct.accessJwt, body: { token: plcMail?.token } },
    );
    expect(signed.operation.type).toBe('plc_operation');
  });

  it('restarts a PDS on the same port with the same data', async () => {
    const handle = uniqueHandle('erin');
    const acct = await createAccount(net.pds.b.url, { handle, email: `${handle}@mail.test`, password: 'pw-erin' });
    await net.restartPds('b');
    const repo = await xrpc<{ did: string; handle: string }>(net.pds.b.url, 'com.atproto.repo.describeRepo', {
      params: { repo: acct.did },
    });
    expect(repo).toMatchObject({ did: acct.did, handle });
    // the old session still works (same JWT secret and data)
    await createRecord(net.pds.b.url, acct.accessJwt, acct.did, 'app.bsky.feed.post', {
      $type: 'app.bsky.feed.post',
      text: 'after restart',
      createdAt: new Date().toISOString(),
    });
  });

  it('starts another PDS on the same directory and stops it for good', async () => {
    const name = `extra${Math.random().toString(36).slice(2, 7)}`;
    const extra = await net.startPds(name);
    expect(extra.url).toMatch(/^http:\/\/localhost:[0-9]+$/);
    const handle = uniqueHandle('fay');
    const acct = await createAccount(extra.url, { handle, email: `${handle}@mail.test`, password: 'pw-fay' });
    const doc = (await (await fetch(`${net.plcUrl}/${acct.did}`)).json()) as { service: Array<{ serviceEndpoint: string }> };
    expect(doc.service[0]?.serviceEndpoint).toBe(extra.url);
    await net.stopPds(name);
    await expect(fetch(`${extra.url}/xrpc/_health`)).rejects.toThrow();
    await expect(net.stopPds(name)).rejects.toThrow(/404/);
  });
});
