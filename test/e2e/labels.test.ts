// Labels from a REAL labeler server that no one here wrote: @skyware/labeler (npm), running in
// this process with its own SQLite database, whose DID is created on the test network's PLC
// directory with an #atproto_label key and an #atproto_labeler service. Checks: the labeler is
// found through its DID document; queryLabels pages through every label; subscribeLabels
// delivers them from cursor 0 in order, survives a labeler restart (resuming after the last seq,
// nothing lost or repeated), keeps its cursor in a file, and reports FutureCursor; every label's
// signature is verified against the #atproto_label key — a forged one is rejected — and
// negations and expiry are surfaced.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabelerServer } from '@skyware/labeler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCbor } from '../../src/core/codec/cbor.js';
import { generatePrivateKey, privateKeyFromBytes } from '../../src/core/crypto/index.js';
import type { IdentityConfig } from '../../src/core/identity/index.js';
import { LabelVerifier, labelKeyResolver, queryLabels, resolveLabeler, subscribeLabels, type LabelStreamOutput, type LabelView } from '../../src/core/labels/index.js';
import type { HttpConfig } from '../../src/core/net/http.js';
import { didForGenesis, signOperation, type UnsignedPlcOperation } from '../../src/core/plc/index.js';
import type { TestNetwork } from '../network/client.js';
import { runIn } from '../support/test-io.js';
import { devFlags, network, networkInfo, newAccount } from './helpers.js';

const http: HttpConfig = { timeoutMs: 10_000, userAgent: 'atcli-test', allowPrivateNetwork: true, connectTo: [] };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe.skipIf(!networkInfo)('labels from @skyware/labeler on the local network', () => {
  let net: TestNetwork;
  let did: string;
  let port: number;
  let server: LabelerServer;
  let identity: IdentityConfig;
  const dbPath = join(mkdtempSync(join(tmpdir(), 'atcli-labeler-')), 'labels.db');
  const labelKeyBytes = new Uint8Array(randomBytes(32));
  const subject = 'at://did:plc:abcdefghijklmnopqrstuvwx/app.bsky.feed.post/3kabcdefghij2';
  const account = 'did:plc:bcdefghijklmnopqrstuvwxy';

  async function startLabeler(): Promise<void> {
    server = new LabelerServer({ did, signingKey: Buffer.from(labelKeyBytes).toString('hex'), dbPath });
    await new Promise<void>((resolve, reject) => server.start({ port, host: '127.0.0.1' }, (err) => (err ? reject(err) : resolve())));
    await internals().dbInitLock;
  }
  /** Members the library marks private in its types: a label stored as given (a forged signature stays forged). */
  const internals = () => server as unknown as { dbInitLock: Promise<void>; saveLabel(label: Record<string, unknown>): Promise<unknown> };
  const stopLabeler = (): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
  const verifier = (): LabelVerifier => new LabelVerifier({ resolveKey: labelKeyResolver(identity) });

  beforeAll(async () => {
    net = await network();
    identity = { http, plcUrl: net.plcUrl, dnsServers: [net.dnsServer], dev: true };
    port = await freePort();
    const labelKey = privateKeyFromBytes('k256', labelKeyBytes);
    const rotation = generatePrivateKey('k256');
    const genesis: UnsignedPlcOperation = {
      type: 'plc_operation',
      rotationKeys: [rotation.publicKey.did()],
      verificationMethods: { atproto: labelKey.publicKey.did(), atproto_label: labelKey.publicKey.did() },
      alsoKnownAs: [`at://labeler-${Math.random().toString(36).slice(2, 8)}.test`],
      services: { atproto_labeler: { type: 'AtprotoLabeler', endpoint: `http://localhost:${port}` } },
      prev: null,
    };
    const op = signOperation(genesis, rotation);
    did = didForGenesis(op);
    const res = await fetch(`${net.plcUrl}/${did}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(op) });
    expect(res.status, await res.text()).toBe(200);
    await startLabeler();

    // 1 spam, 2 rude on an account, 3 negation of spam, 4 expired, 5 forged signature, 6 signed by another key.
    await server.createLabel({ uri: subject, val: 'spam' });
    await server.createLabel({ uri: account, val: 'rude' });
    await server.createLabels({ uri: subject }, { negate: ['spam'] });
    await server.createLabel({ uri: subject, val: 'temporary', exp: new Date(Date.now() - 60_000).toISOString() });
    const cts = new Date().toISOString();
    await internals().saveLabel({ src: did, uri: subject, val: 'forged', cts, ver: 1, neg: false, sig: new Uint8Array(randomBytes(64)) });
    const stranger = generatePrivateKey('k256');
    const strangerLabel = { ver: 1, src: did, uri: subject, val: 'stranger', cts, neg: false };
    await internals().saveLabel({ ...strangerLabel, sig: stranger.sign(encodeCbor(strangerLabel)) });
  }, 60_000);

  afterAll(async () => {
    if (server) await stopLabeler();
  });

  function expectTheSixLabels(labels: LabelView[]): void {
    expect(labels.map((l) => [l.val, l.neg, l.status])).toEqual([
      ['spam', false, 'valid'],
      ['rude', false, 'valid'],
      ['spam', true, 'valid'],
      ['temporary', false, 'valid'],
      ['forged', false, 'invalid'],
      ['stranger', false, 'invalid'],
    ]);
    expect(labels.every((l) => l.src === did && l.ver === 1)).toBe(true);
    const [spam, rude, negation, temporary, forged, stranger] = labels as [LabelView, LabelView, LabelView, LabelView, LabelView, LabelView];
    expect(spam).toMatchObject({ uri: subject, active: true, expired: false });
    expect(rude).toMatchObject({ uri: account, active: true });
    expect(negation).toMatchObject({ neg: true, active: false });
    expect(temporary).toMatchObject({ expired: true, active: false });
    expect(temporary.exp).not.toBeNull();
    expect(forged.reasons).toEqual([expect.stringMatching(/^bad signature/)]);
    expect(stranger.reasons).toEqual([expect.stringMatching(/^bad signature/)]);
  }

  it('finds the labeler through its DID document', async () => {
    const labeler = await resolveLabeler(identity, did);
    expect(labeler).toMatchObject({ did, url: `http://localhost:${port}` });
    expect(labeler.labelKey).toBe(privateKeyFromBytes('k256', labelKeyBytes).publicKey.did());
    // An ordinary account is not a labeler.
    const someone = await newAccount(net, 'notlabeler');
    const err = await resolveLabeler(identity, someone.did).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'notFound', code: 'NoLabelerService' });
  });

  it('queryLabels: every label, page by page, each signature checked against #atproto_label', async () => {
    const pages: number[] = [];
    const result = await queryLabels({ service: `http://localhost:${port}`, http, uriPatterns: ['*'], limit: 2, verifier: verifier(), onPage: (p) => pages.push(p.labels) });
    expectTheSixLabels(result.labels);
    expect(result.counts).toEqual({ valid: 4, invalid: 2, unchecked: 0 });
    expect(result.pages).toBe(4);
    expect(pages).toEqual([2, 2, 2, 0]);
    expect(result).toMatchObject({ cursor: null, truncated: false });
    // A URI pattern and a cap: the labeler filters, the cap leaves a cursor to go on from.
    const some = await queryLabels({ service: `http://localhost:${port}`, http, uriPatterns: [`${subject.slice(0, 30)}*`], maxLabels: 3, limit: 2, verifier: verifier() });
    expect(some.labels.map((l) => l.val)).toEqual(['spam', 'spam', 'temporary']);
    expect(some.truncated).toBe(true);
    expect(some.cursor).not.toBeNull();
  });

  it('subscribeLabels from cursor 0: every label in order with its seq; a labeler restart is survived with nothing lost or repeated; the cursor file resumes', async () => {
    const cursorFile = join(mkdtempSync(join(tmpdir(), 'atcli-labels-cursor-')), 'cursor.json');
    const seen: LabelStreamOutput[] = [];
    let restarted = false;
    const notices: string[] = [];
    const result = await subscribeLabels({
      url: `http://localhost:${port}`,
      cursor: 0,
      cursorFile,
      verifier: verifier(),
      backoff: { initialMs: 100, maxMs: 500 },
      onNotice: (n) => notices.push(n.type),
      onOutputs: async (outputs) => {
        seen.push(...outputs);
        const labels = seen.filter((o) => o.kind === 'label');
        if (labels.length === 6 && !restarted) {
          restarted = true;
          // Restart the labeler: the connection drops; new labels are made while it is down.
          setTimeout(() => {
            void (async () => {
              await stopLabeler();
              await startLabeler();
              await server.createLabel({ uri: account, val: 'after-restart' });
              await server.createLabel({ uri: account, val: 'after-restart', neg: true });
            })();
          }, 50);
        }
        return labels.length < 8;
      },
    });
    const labels = seen.filter((o): o is Extract<LabelStreamOutput, { kind: 'label' }> => o.kind === 'label').map((o) => o.value);
    expectTheSixLabels(labels.slice(0, 6));
    expect(labels.slice(6).map((l) => [l.val, l.neg, l.status])).toEqual([
      ['after-restart', false, 'valid'],
      ['after-restart', true, 'valid'],
    ]);
    expect(labels.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(result.connections).toBeGreaterThanOrEqual(2);
    expect(notices).toContain('reconnecting');
    expect(result.cursor).toBe(8);
    expect(JSON.parse(readFileSync(cursorFile, 'utf8'))).toMatchObject({ seq: 8 });

    // A second run resumes from the file: only what came after.
    await server.createLabel({ uri: subject, val: 'third-run' });
    const again: LabelView[] = [];
    await subscribeLabels({
      url: `http://localhost:${port}`,
      cursorFile,
      verifier: verifier(),
      onOutputs: (outputs) => {
        for (const o of outputs) if (o.kind === 'label') again.push(o.value);
        return again.length < 1;
      },
    });
    expect(again.map((l) => [l.seq, l.val, l.status])).toEqual([[9, 'third-run', 'valid']]);
  }, 60_000);

  it('a cursor past the last label is a FutureCursor error', async () => {
    const err = await subscribeLabels({ url: `http://localhost:${port}`, cursor: 100_000, verifier: verifier(), onOutputs: () => true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'runtime', code: 'FutureCursor' });
  });

  it('atcli labels query / tail: every label with its verdict; exit 3 when one is invalid, 0 when all shown verified', async () => {
    const query = await runIn(['labels', 'query', did, '--json', ...devFlags(net)]);
    expect(query.code, query.stderr).toBe(3);
    const result = JSON.parse(query.stdout) as { labels: LabelView[]; counts: { invalid: number } };
    expect(result.labels.slice(0, 6).map((l) => l.val)).toEqual(['spam', 'rude', 'spam', 'temporary', 'forged', 'stranger']);
    expect(result.counts.invalid).toBe(2);
    const human = await runIn(['labels', 'query', did, ...devFlags(net)], { tty: { stdout: true } });
    expect(human.stdout).toMatch(/✓ +spam/);
    expect(human.stdout).toMatch(/negation/);
    expect(human.stdout).toMatch(/expired/);
    expect(human.stdout).toMatch(/✗ +forged .*bad signature/);

    const tail = await runIn(['labels', 'tail', did, '--cursor', '0', '--limit', '4', '--json', ...devFlags(net)]);
    expect(tail.code, tail.stderr).toBe(0);
    const lines = tail.stdout.trim().split('\n').map((l) => JSON.parse(l) as LabelView);
    expect(lines.map((l) => [l.seq, l.val, l.status])).toEqual([[1, 'spam', 'valid'], [2, 'rude', 'valid'], [3, 'spam', 'valid'], [4, 'temporary', 'valid']]);
    expect(tail.stderr).toMatch(/done: 4 labels .* resume with --cursor 4/);
    const bad = await runIn(['labels', 'tail', did, '--cursor', '4', '--limit', '1', ...devFlags(net)]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/^5 ✗ forged /);
    const notLabeler = await runIn(['labels', 'query', (await newAccount(net, 'plain')).did, ...devFlags(net)]);
    expect(notLabeler.code).toBe(4);
  }, 60_000);
});
