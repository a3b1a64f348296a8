/**
 * Legacy (password / app-password) session auth for XRPC (spec:xrpc "Authentication";
 * ux §2.8 "Credentials and sessions").
 *
 * Refresh tokens rotate: `refreshSession` revokes the token it was called with. Two atcli processes
 * refreshing the same stored session must therefore not race — the refresh happens under an exclusive
 * lock, and the session file is re-read under that lock so a process that lost the race uses the
 * tokens the winner wrote instead of replaying a revoked refresh token.
 */
import { AtcliError, authError, runtime } from '../errors.js';
import type { HttpConfig } from '../net/http.js';
import { checkPdsUrl } from '../net/url-policy.js';
import { XrpcClient, jwtExpiry } from './client.js';
import { XrpcError, sanitizeRemoteText } from './errors.js';

export interface SessionData {
  did: string;
  handle: string;
  /** the account's PDS: where authenticated calls go */
  pds: string;
  accessJwt: string;
  refreshJwt: string;
  email?: string;
  /** ISO time the current tokens were obtained */
  obtainedAt: string;
  /** where the session was created (an entryway such as bsky.social); refresh/logout go here. Defaults to `pds`. */
  service?: string;
  /** the login used an app password (from the access token's scope; a hint, tokens are opaque) */
  appPassword?: boolean;
}

/** Where sessions live. `lock` returns the release function. */
export interface SessionStore {
  read(profile: string): Promise<SessionData | null>;
  write(profile: string, data: SessionData): Promise<void>;
  lock(profile: string): Promise<() => Promise<void>>;
}

/** A session held only by this process (a login for one run). Never written anywhere. */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, SessionData>();
  private tail: Promise<void> = Promise.resolve();

  async read(profile: string): Promise<SessionData | null> {
    const s = this.sessions.get(profile);
    return s ? { ...s } : null;
  }

  async write(profile: string, data: SessionData): Promise<void> {
    this.sessions.set(profile, { ...data });
  }

  async lock(_profile: string): Promise<() => Promise<void>> {
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const prev = this.tail;
    this.tail = prev.then(() => mine);
    await prev;
    return async () => release();
  }
}

export interface SessionAuthOptions {
  /** told after tokens were rotated (by us or by another process) */
  onRefresh?: (session: SessionData) => void;
}

/** Adds `Authorization: Bearer <accessJwt>` and refreshes expired sessions under a lock. */
export class SessionAuth {
  private cached: SessionData | undefined;
  private inflight: { refreshJwt: string; promise: Promise<SessionData> } | undefined;

  constructor(
    readonly store: SessionStore,
    readonly profile: string,
    private readonly options: SessionAuthOptions = {},
  ) {}

  /** A session that lives only in memory for this process. */
  static inMemory(session: SessionData, options?: SessionAuthOptions): SessionAuth {
    const store = new MemorySessionStore();
    void store.write('env', session);
    const auth = new SessionAuth(store, 'env', options);
    auth.cached = { ...session };
    return auth;
  }

  /** The current session (read once, then cached; refreshed in place). */
  async session(): Promise<SessionData> {
    if (this.cached) return this.cached;
    const s = await this.store.read(this.profile);
    if (!s) {
      throw authError('NotLoggedIn', `not logged in (profile '${this.profile}')`, {
        hint: 'log in first',
        details: { profile: this.profile },
      });
    }
    this.cached = s;
    return s;
  }

  /**
   * Get fresh tokens after `used` was refused as expired. Under the store's lock: re-read; if another
   * process already rotated the tokens, use them; otherwise call refreshSession and write the result.
   */
  async refresh(used: SessionData, http: HttpConfig): Promise<SessionData> {
    if (this.cached && this.cached.refreshJwt !== used.refreshJwt) return this.cached;
    if (this.inflight && this.inflight.refreshJwt === used.refreshJwt) return this.inflight.promise;
    const promise = this.refreshLocked(used, http);
    this.inflight = { refreshJwt: used.refreshJwt, promise };
    try {
      return await promise;
    } finally {
      if (this.inflight?.promise === promise) this.inflight = undefined;
    }
  }

  private async refreshLocked(used: SessionData, http: HttpConfig): Promise<SessionData> {
    const release = await this.store.lock(this.profile);
    try {
      const current = await this.store.read(this.profile);
      if (!current) {
        throw authError('NotLoggedIn', `not logged in (profile '${this.profile}'): the session was removed`, {
          hint: 'log in again',
        });
      }
      if (current.refreshJwt !== used.refreshJwt) {
        // Someone else rotated the tokens while we waited: theirs are the live ones.
        this.cached = current;
        this.options.onRefresh?.(current);
        return current;
      }
      const next = await refreshSession(current, http);
      await this.store.write(this.profile, next);
      this.cached = next;
      this.options.onRefresh?.(next);
      return next;
    } finally {
      await release();
    }
  }
}

interface ServerSessionResponse {
  did?: unknown;
  handle?: unknown;
  email?: unknown;
  accessJwt?: unknown;
  refreshJwt?: unknown;
  didDoc?: unknown;
}

const REFRESH_DEAD = new Set(['ExpiredToken', 'InvalidToken', 'AuthRequired', 'AuthenticationRequired', 'AuthMissing', 'BadJwt']);

/** `com.atproto.server.refreshSession` with the refresh token as the Bearer. Returns the rotated session. */
export async function refreshSession(current: SessionData, http: HttpConfig): Promise<SessionData> {
  const client = new XrpcClient({ service: current.service ?? current.pds, http, retries: 0 });
  let out: ServerSessionResponse;
  try {
    out = await client.procedure<ServerSessionResponse>('com.atproto.server.refreshSession', undefined, {
      headers: { authorization: `Bearer ${current.refreshJwt}` },
    });
  } catch (err) {
    if (err instanceof XrpcError && (err.status === 401 || (err.xrpcError !== undefined && REFRESH_DEAD.has(err.xrpcError)))) {
      throw authError('SessionExpired', `the stored session for ${current.handle} has expired or was revoked`, {
        hint: 'log in again',
        details: { did: current.did, xrpcError: err.xrpcError, status: err.status },
      });
    }
    throw err;
  }
  if (typeof out !== 'object' || out === null || typeof out.accessJwt !== 'string' || typeof out.refreshJwt !== 'string') {
    throw runtime('InvalidResponse', 'com.atproto.server.refreshSession returned no tokens');
  }
  if (typeof out.did === 'string' && out.did !== current.did) {
    throw runtime('InvalidResponse', `com.atproto.server.refreshSession returned a session for a different account (${sanitizeRemoteText(out.did, 100)})`);
  }
  return {
    ...current,
    handle: typeof out.handle === 'string' && out.handle !== '' ? out.handle : current.handle,
    accessJwt: out.accessJwt,
    refreshJwt: out.refreshJwt,
    obtainedAt: new Date().toISOString(),
    ...(typeof out.email === 'string' ? { email: out.email } : {}),
  };
}

export interface LoginOptions {
  http: HttpConfig;
  /** the e-mailed sign-in code (two-factor accounts) */
  authFactorToken?: string;
}

/** `com.atproto.server.createSession`. The password is sent once and never kept, logged or echoed. */
export async function login(pdsUrl: string, identifier: string, password: string, opts: LoginOptions): Promise<SessionData> {
  const client = new XrpcClient({ service: pdsUrl, http: opts.http, retries: 0 });
  const scrub = (s: string): string => (password.length >= 1 ? s.split(password).join('***') : s);
  let out: ServerSessionResponse;
  try {
    out = await client.procedure<ServerSessionResponse>('com.atproto.server.createSession', {
      identifier,
      password,
      ...(opts.authFactorToken ? { authFactorToken: opts.authFactorToken } : {}),
    });
  } catch (err) {
    if (err instanceof XrpcError) {
      const serverMsg = scrub(sanitizeRemoteText(err.message));
      const details = { status: err.status, xrpcError: err.xrpcError, nsid: err.nsid };
      if (err.xrpcError === 'AuthFactorTokenRequired') {
        throw authError('AuthFactorTokenRequired', 'this account needs a sign-in code: one was sent to its e-mail address', {
          hint: 'log in again with the code from the e-mail',
          details,
        });
      }
      if (err.xrpcError === 'AccountTakedown') {
        throw authError('AccountTakedown', `login refused: the account has been taken down (${serverMsg})`, { details });
      }
      if (opts.authFactorToken && err.xrpcError === 'InvalidToken') {
        throw authError('InvalidAuthFactorToken', 'the sign-in code was not accepted', {
          hint: 'use the latest code from the e-mail; codes expire after a few minutes',
          details,
        });
      }
      if (err.status === 401 || err.xrpcError === 'AuthenticationRequired' || err.xrpcError === 'AuthRequired') {
        throw authError('LoginFailed', `login to ${new URL(client.service).host} failed: invalid identifier or password`, {
          hint: 'check the handle or e-mail and the password',
          details,
        });
      }
      err.message = serverMsg;
      throw err;
    }
    if (err instanceof AtcliError) err.message = scrub(err.message);
    throw err;
  }
  if (
    typeof out !== 'object' ||
    out === null ||
    typeof out.did !== 'string' ||
    typeof out.accessJwt !== 'string' ||
    typeof out.refreshJwt !== 'string'
  ) {
    throw runtime('InvalidResponse', 'com.atproto.server.createSession returned an incomplete session');
  }
  const service = client.service;
  const pds = pdsFromDidDoc(out.didDoc, out.did, opts.http.allowPrivateNetwork) ?? service;
  const scope = accessScope(out.accessJwt);
  const session: SessionData = {
    did: out.did,
    handle: typeof out.handle === 'string' ? out.handle : 'handle.invalid',
    pds,
    accessJwt: out.accessJwt,
    refreshJwt: out.refreshJwt,
    obtainedAt: new Date().toISOString(),
    ...(typeof out.email === 'string' ? { email: out.email } : {}),
    ...(service !== pds ? { service } : {}),
    ...(scope !== undefined ? { appPassword: scope.startsWith('com.atproto.appPass') } : {}),
  };
  return session;
}

/** `com.atproto.server.deleteSession` with the refresh token. Best effort: true when the server accepted it. */
export async function logout(session: SessionData, opts: { http: HttpConfig }): Promise<boolean> {
  try {
    const client = new XrpcClient({ service: session.service ?? session.pds, http: opts.http, retries: 0 });
    await client.procedure('com.atproto.server.deleteSession', undefined, {
      headers: { authorization: `Bearer ${session.refreshJwt}` },
    });
    return true;
  } catch (err) {
    if (err instanceof AtcliError && err.kind === 'interrupted') throw err;
    return false;
  }
}

export interface ServerSessionInfo {
  did: string;
  handle: string;
  email?: string;
  emailConfirmed?: boolean;
  emailAuthFactor?: boolean;
  active?: boolean;
  status?: string;
  didDoc?: unknown;
}

/** `com.atproto.server.getSession` through an authenticated client. */
export async function getSession(client: XrpcClient): Promise<ServerSessionInfo> {
  const out = await client.query<ServerSessionInfo>('com.atproto.server.getSession');
  if (typeof out !== 'object' || out === null || typeof out.did !== 'string' || typeof out.handle !== 'string') {
    throw runtime('InvalidResponse', 'com.atproto.server.getSession returned no did/handle');
  }
  return out;
}

/** A client for the session's PDS with auth attached. */
export async function sessionClient(
  auth: SessionAuth,
  http: HttpConfig,
  opts: { retries?: number; maxBytes?: number } = {},
): Promise<XrpcClient> {
  const s = await auth.session();
  return new XrpcClient({ service: s.pds, http, auth, ...opts });
}

/** The `scope` claim of an access token (tokens are opaque; this is a hint). */
export function accessScope(jwt: string): string | undefined {
  const part = jwt.split('.')[1];
  if (part === undefined) return undefined;
  try {
    const scope = (JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { scope?: unknown }).scope;
    return typeof scope === 'string' ? scope : undefined;
  } catch {
    return undefined;
  }
}

/** The `#atproto_pds` endpoint of a DID document, if it is a clean https (or dev) origin. */
function pdsFromDidDoc(doc: unknown, did: string, dev: boolean): string | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const services = (doc as { service?: unknown }).service;
  if (!Array.isArray(services)) return undefined;
  for (const s of services) {
    if (typeof s !== 'object' || s === null) continue;
    const { id, type, serviceEndpoint } = s as { id?: unknown; type?: unknown; serviceEndpoint?: unknown };
    if ((id !== '#atproto_pds' && id !== `${did}#atproto_pds`) || type !== 'AtprotoPersonalDataServer') continue;
    if (typeof serviceEndpoint !== 'string') return undefined;
    const checked = checkPdsUrl(serviceEndpoint, dev);
    return 'url' in checked ? checked.url : undefined;
  }
  return undefined;
}

/** When the access token expires, if it says (seconds since epoch). */
export function accessTokenExpiry(session: SessionData): number | undefined {
  return jwtExpiry(session.accessJwt);
}
