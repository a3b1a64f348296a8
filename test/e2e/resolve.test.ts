import { beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { TestNetwork } from '../network/client.js';
import { runCli, stderrJsonError, stdoutJson, expectNoStack } from '../cli/run-cli.js';
import { devFlags, network, networkInfo, newAccount, refuse, routeTo, type TestAccount } from './helpers.js';

interface Resolved {
  did: string;
  handle: string;
  handleVerified: boolean;
  pds: string;
  signingKey: string;
  method: string;
  didDoc: { id: string; alsoKnownAs: string[] };
}

describe.skipIf(!networkInfo)('atcli resolve against the local network', () => {
  let net: TestNetwork;
  let alice: TestAccount;

  beforeAll(async () => {
    net = await network();
    alice = await newAccount(net, 'alice');
  });

  it('resolves a handle through DNS TXT _atproto', async () => {
    await net.setTxt(`_atproto.${alice.handle}`, [[`did=${alice.did}`]]);
    const r = await runCli([...devFlags(net), ...refuse(alice.handle), 'resolve', alice.handle, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = stdoutJson<Resolved>(r);
    expect(out).toMatchObject({ did: alice.did, handle: alice.handle, handleVerified: true, pds: net.pds.a.url, method: 'dns' });
    expect(out.signingKey).toMatch(/^did:key:z/);
    expect(out.didDoc.id).toBe(alice.did);
  });

  it('resolves a handle through HTTPS well-known (served by the reference PDS)', async () => {
    const bob = await newAccount(net, 'bob');
    const r = await runCli([...devFlags(net), ...routeTo(bob.handle, net.pds.a.port), 'resolve', bob.handle, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(stdoutJson<Resolved>(r)).toMatchObject({ did: bob.did, handle: bob.handle, handleVerified: true, method: 'https' });
  });

  it('resolves a handle through the XRPC resolver', async () => {
    const carol = await newAccount(net, 'carol', 'b');
    const r = await runCli([...devFlags(net), ...refuse(carol.handle), '--handle-resolver', net.pds.b.url, 'resolve', carol.handle, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(stdoutJson<Resolved>(r)).toMatchObject({ did: carol.did, handleVerified: true, pds: net.pds.b.url, method: 'xrpc' });
  });

  it('resolves a did:plc through the local directory, and --did prints only the DID', async () => {
    const r = await runCli([...devFlags(net), ...refuse(alice.handle), 'resolve', alice.did, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(stdoutJson<Resolved>(r)).toMatchObject({ did: alice.did, handle: alice.handle, handleVerified: true });
    const plain = await runCli([...devFlags(net), ...refuse(alice.handle), 'resolve', alice.handle, '--did']);
    expect(plain.stdout).toBe(`${alice.did}\n`);
    const human = await runCli([...devFlags(net), ...refuse(alice.handle), 'resolve', alice.handle]);
    expect(human.stdout).toMatch(/^handle\s+.+verified both ways/m);
  });

  it('resolves a did:web served on loopback, and reports handleVerified: false when the document names another handle', async () => {
    const keygen = stdoutJson<{ publicKey: string }>(await runCli(['key', 'generate', '--json']));
    const did = net.didWeb.did;
    const doc = (handle: string) => ({
      '@context': ['https://www.w3.org/ns/did/v1'],
      id: did,
      alsoKnownAs: [`at://${handle}`],
      verificationMethod: [{ id: `${did}#atproto`, type: 'Multikey', controller: did, publicKeyMultibase: keygen.publicKey.slice('did:key:'.length) }],
      service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: net.pds.a.url }],
    });
    // The document claims alice's handle, which resolves to alice's did:plc, not to this did:web.
    await net.setDidWeb(doc(alice.handle));
    const r = await runCli([...devFlags(net), ...refuse(alice.handle), 'resolve', did, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = stdoutJson<Resolved>(r);
    expect(out).toMatchObject({ did, handleVerified: false, handle: 'handle.invalid', pds: net.pds.a.url, signingKey: keygen.publicKey });
    // Now a handle whose TXT record points back at the did:web.
    const webHandle = `web-${Math.random().toString(36).slice(2, 8)}.test`;
    await net.setTxt(`_atproto.${webHandle}`, [[`did=${did}`]]);
    await net.setDidWeb(doc(webHandle));
    const ok = await runCli([...devFlags(net), ...refuse(webHandle), 'resolve', did, '--json']);
    expect(stdoutJson<Resolved>(ok)).toMatchObject({ did, handle: webHandle, handleVerified: true });
  });

  it('exits 4 for a handle that does not resolve, naming each method tried', async () => {
    const handle = `nobody-${Math.random().toString(36).slice(2, 8)}.test`;
    const r = await runCli([...devFlags(net), ...refuse(handle), '--handle-resolver', net.pds.a.url, 'resolve', handle]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: /m);
    expect(r.stderr).toMatch(/dns/);
    expect(r.stderr).toMatch(/^hint: /m);
    expectNoStack(r);
    const j = await runCli([...devFlags(net), ...refuse(handle), 'resolve', handle, '--json']);
    expect(j.code).toBe(4);
    expect(stderrJsonError(j).code).toBe('HandleNotFound');
  });

  it('fails on a DNS answer with two different DIDs (exit 3)', async () => {
    const dave = await newAccount(net, 'dave');
    await net.setTxt(`_atproto.${dave.handle}`, [[`did=${dave.did}`], [`did=${alice.did}`]]);
    const r = await runCli([...devFlags(net), ...refuse(dave.handle), 'resolve', dave.handle, '--json']);
    expect(r.code).toBe(3);
    expect(stderrJsonError(r).code).toBe('AmbiguousHandle');
  });

  it('joins a TXT value split into several strings', async () => {
    const erin = await newAccount(net, 'erin');
    await net.setTxt(`_atproto.${erin.handle}`, [['did=did:plc:', erin.did.slice('did:plc:'.length)]]);
    const r = await runCli([...devFlags(net), ...refuse(erin.handle), 'resolve', erin.handle, '--did']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(erin.did);
  });

  it('rejects a well-known body over the cap', async () => {
    const server = createServer((_req, res) => res.end(`did:plc:${'a'.repeat(4000)}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const handle = `big-${Math.random().toString(36).slice(2, 8)}.test`;
    const r = await runCli([...devFlags(net), ...routeTo(handle, port), 'resolve', handle, '--json']);
    server.close();
    expect(r.code).toBe(4);
    expect(JSON.stringify(stderrJsonError(r))).toMatch(/too large|2048|cap/i);
  });

  it('rejects malformed identifiers as usage errors before any request', async () => {
    for (const bad of ['alice..test', 'did:web:evil.com%40127.0.0.1', 'did:PLC:abc', '\u212Aelvin.test']) {
      const r = await runCli([...devFlags(net), 'resolve', bad, '--json']);
      expect(r.code, bad).toBe(2);
      expectNoStack(r);
    }
  });
});
