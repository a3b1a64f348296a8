// Shared set-up for end-to-end tests: the running test network and the CLI flags that point
// atcli at it (dev mode, the local PLC directory and DNS server).
import { inject } from 'vitest';
import { createHmac } from 'node:crypto';
import { connectNetwork, createAccount, uniqueHandle, type Session, type TestNetwork } from '../network/client.js';

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
