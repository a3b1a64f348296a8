// Shared set-up for end-to-end tests: the running test network and the CLI flags that point
// atcli at it (dev mode, the local PLC directory and DNS server).
import { inject } from 'vitest';
import { createHmac } from 'node:crypto';
import { connectNetwork, createAccount, uniqueHandle, type Session, type TestNetwork } from '../network/client.js';
import type { IdentityConfig } from '../../src/core/identity/index.js';
import { parseConnectTo, type HttpConfig } from '../../src/core/net/http.js';
import { XrpcClient, SessionAuth, login } from '../../src/core/xrpc/index.js';

export const networkInfo = inject('network');

let shared: Promise<TestNetwork> | undefined;
export function network(): Promise<TestNetwork> {
  if (!networkInfo) throw new Error('the test network is not running');
  shared ??= connectNetwork(networkInfo);
  return shared;
}

/** Flags every networked CLI call in tests uses. */
export function devFlags(net: TestNetwork): string[] {
  return ['--dev', '--plc', net.plcUrl, '--dns-server', net.dnsServer, '--timeout', '10'];
}

/** Routes a host's port 80 to a closed local port, so a lookup fails at once instead of waiting on DNS. */
export function refuse(host: string): string[] {
  return ['--connect-to', `${host}:80:127.0.0.1:1`];
}

/** Routes http://<host>/ to a PDS (which answers /.well-known/atproto-did for its handles). */
export function routeTo(host: string, port: number): string[] {
  return ['--connect-to', `${host}:80:127.0.0.1:${port}`];
}

export interface TestAccount extends Session {
  password: string;
  email: string;
  pdsUrl: string;
}

export async function newAccount(net: TestNetwork, prefix: string, pds: 'a' | 'b' = 'a'): Promise<TestAccount> {
  const handle = uniqueHandle(prefix);
  const email = `${handle}@mail.test`;
  const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
  const session = await createAccount(net.pds[pds].url, { handle, email, password }, net.adminPassword);
  return { ...session, password, email, pdsUrl: net.pds[pds].url };
}

/** The same access token with its expiry moved into the past, re-signed with the PDS's HS256 secret. */
export function expiredAccessToken(accessJwt: string, secret: string): string {
  const [header, payload] = accessJwt.split('.') as [string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  const expired = Buffer.from(JSON.stringify({ ...claims, iat: now - 7200, exp: now - 3600 })).toString('base64url');
  const signature = createHmac('sha256', secret).update(`${header}.${expired}`).digest('base64url');
  return `${header}.${expired}.${signature}`;
}

import { createRecord, uploadBlob, xrpc, type BlobRef } from '../network/client.js';

export interface Write {
  $type: 'com.atproto.repo.applyWrites#create' | 'com.atproto.repo.applyWrites#update' | 'com.atproto.repo.applyWrites#delete';
  collection: string;
  rkey?: string;
  value?: Record<string, unknown>;
}

/** com.atproto.repo.applyWrites in batches of at most 200 (the PDS's limit). */
export async function applyWrites(account: TestAccount, writes: Write[]): Promise<void> {
  for (let i = 0; i < writes.length; i += 200) {
    await xrpc(account.pdsUrl, 'com.atproto.repo.applyWrites', { accessJwt: account.accessJwt, body: { repo: account.did, writes: writes.slice(i, i + 200) } });
  }
}

const now = (): string => new Date().toISOString();

/**
 * Fills an account through the real PDS: posts (some with images), likes, follows, and a profile
 * with an avatar — `posts + likes + follows + 1` records in all.
 */
export async function populate(account: TestAccount, counts: { posts: number; likes: number; follows: number; imagePosts?: number }): Promise<{ blobs: BlobRef[] }> {
  const blobs: BlobRef[] = [];
  const png = (seed: number): Uint8Array => {
    const bytes = new Uint8Array(200 + seed);
    bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    for (let i = 8; i < bytes.length; i++) bytes[i] = (i * 31 + seed) & 0xff;
    return bytes;
  };
  for (let i = 0; i < (counts.imagePosts ?? 0) + 1; i++) blobs.push(await uploadBlob(account.pdsUrl, account.accessJwt, png(i), 'image/png'));
  const writes: Write[] = [
    { $type: 'com.atproto.repo.applyWrites#create', collection: 'app.bsky.actor.profile', rkey: 'self', value: { $type: 'app.bsky.actor.profile', displayName: account.handle, avatar: blobs[0] } },
  ];
  for (let i = 0; i < counts.posts; i++) {
    const image = i < (counts.imagePosts ?? 0) ? blobs[i + 1] : undefined;
    writes.push({
      $type: 'com.atproto.repo.applyWrites#create',
      collection: 'app.bsky.feed.post',
      value: {
        $type: 'app.bsky.feed.post',
        text: `post ${i}: ${'lorem ipsum '.repeat(i % 7)}✨`,
        createdAt: now(),
        langs: ['en'],
        ...(image ? { embed: { $type: 'app.bsky.embed.images', images: [{ alt: `image ${i}`, image }] } } : {}),
      },
    });
  }
  for (let i = 0; i < counts.likes; i++) {
    writes.push({
      $type: 'com.atproto.repo.applyWrites#create',
      collection: 'app.bsky.feed.like',
      value: { $type: 'app.bsky.feed.like', subject: { uri: `at://${account.did}/app.bsky.feed.post/3kabcdefghij${'234567'[i % 6]}`, cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm' }, createdAt: now() },
    });
  }
  for (let i = 0; i < counts.follows; i++) {
    writes.push({
      $type: 'com.atproto.repo.applyWrites#create',
      collection: 'app.bsky.graph.follow',
      value: { $type: 'app.bsky.graph.follow', subject: `did:plc:${String(i).padStart(24, 'a').replace(/[0-9]/g, (d) => 'bcdefghijk'[Number(d)] as string)}`, createdAt: now() },
    });
  }
  await applyWrites(account, writes);
  return { blobs };
}

/** Every record of a collection via com.atproto.repo.listRecords (all pages). */
export async function listAll(account: { pdsUrl: string; did: string }, collection: string): Promise<Array<{ uri: string; cid: string }>> {
  const out: Array<{ uri: string; cid: string }> = [];
  let cursor: string | undefined;
  do {
    const page = await xrpc<{ records: Array<{ uri: string; cid: string }>; cursor?: string }>(account.pdsUrl, 'com.atproto.repo.listRecords', {
      params: { repo: account.did, collection, limit: 100, cursor },
    });
    out.push(...page.records);
    cursor = page.records.length > 0 ? page.cursor : undefined;
  } while (cursor);
  return out;
}


/**
 * What core functions are given when called directly against the test network: the HTTP
 * settings of `--dev` and an identity configuration with the local PLC directory and DNS server.
 * `connectTo` rules ("host:80:127.0.0.1:port") route look-ups such as a handle's well-known.
 */
export function coreConfig(net: TestNetwork, connectTo: string[] = []): { http: HttpConfig; identity: IdentityConfig } {
  const http: HttpConfig = {
    timeoutMs: 10_000,
    userAgent: 'atcli-e2e',
    allowPrivateNetwork: true,
    connectTo: connectTo.map(parseConnectTo),
  };
  return { http, identity: { http, plcUrl: net.plcUrl, dnsServers: [net.dnsServer], dev: true, dnsTimeoutMs: 3000 } };
}


/** A core XRPC client logged in to `pdsUrl` as `identifier` (the session lives in memory only). */
export async function sessionClient(http: HttpConfig, pdsUrl: string, identifier: string, password: string): Promise<XrpcClient> {
  const session = await login(pdsUrl, identifier, password, { http });
  return new XrpcClient({ service: session.pds, http, auth: SessionAuth.inMemory(session) });
}

/** The token of the newest PLC-operation mail to `email` sent at or after `after` (ms). */
export async function plcTokenFromMail(net: TestNetwork, email: string, after = 0): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const mails = (await net.mail(email)).filter((x) => x.template === 'plcOperation' && x.token && Date.parse(x.at) >= after - 1000);
    const last = mails[mails.length - 1];
    if (last?.token) return last.token;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no PLC token mail for ${email}`);
}

/**
 * An account on PDS a with a profile record that the AppView (when one runs) has indexed, and that
 * the loopback relay has crawled: an account every `doctor` check passes for.
 */
export async function visibleAccount(net: TestNetwork, prefix: string, opts: { appview: { url: string } | null; relay: { crawl(): Promise<void> } }): Promise<TestAccount> {
  const acct = await newAccount(net, prefix, 'a');
  const displayName = `doctor ${prefix}`;
  await createRecord(acct.pdsUrl, acct.accessJwt, acct.did, 'app.bsky.actor.profile', { $type: 'app.bsky.actor.profile', displayName }, 'self');
  const deadline = Date.now() + 60_000;
  while (opts.appview !== null) {
    const res = await fetch(`${opts.appview.url}/xrpc/app.bsky.actor.getProfile?actor=${acct.did}`);
    const body = (await res.json()) as { handle?: string; displayName?: string };
    if (res.ok && body.handle === acct.handle && body.displayName === displayName) break;
    if (Date.now() > deadline) throw new Error(`the AppView did not index ${acct.handle}: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  await opts.relay.crawl();
  return acct;
}
