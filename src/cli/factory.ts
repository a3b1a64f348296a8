// Clients a command may need, built on first use from the global settings: the HTTP
// configuration, identity resolution, the PLC directory, XRPC clients, the stored login.
// Tests replace pieces of it (run(argv, { factory })) instead of the product carrying test hooks.
import { authError, usage } from '../core/errors.js';
import { withCompleteHint } from './hints/index.js';
import type { HttpConfig } from '../core/net/http.js';
import type { AtprotoIdentity, IdentityConfig } from '../core/identity/index.js';
import type { PlcDirectoryClient } from '../core/plc/directory.js';
import type { SessionAuth, SessionData, XrpcClient } from '../core/xrpc/index.js';
import type { FileSessionStore } from '../core/account/session-store.js';
import type { MigrationHooks } from '../core/account/migrate.js';
import { VERSION } from './context.js';
import type { Globals } from './globals.js';
import type { IO } from './io.js';
import type { StderrWriter } from './render/stderr.js';

export interface OpenSession {
  client: XrpcClient;
  auth: SessionAuth;
  session: SessionData;
  /** 'environment': ATCLI_IDENTIFIER + ATCLI_PASSWORD, for this process only. */
  source: 'profile' | 'environment';
}

export interface Factory {
  http(): Promise<HttpConfig>;
  identity(): Promise<IdentityConfig>;
  /** Resolves a handle, DID or at:// URI of an account. */
  resolveAccount(id: string, opts?: { noCache?: boolean }): Promise<AtprotoIdentity>;
  plc(): Promise<PlcDirectoryClient>;
  /** An unauthenticated XRPC client for a service URL. */
  xrpc(service: string): Promise<XrpcClient>;
  sessionStore(): Promise<FileSessionStore>;
  /** The stored login of the profile, or the environment's (ATCLI_IDENTIFIER + ATCLI_PASSWORD). */
  session(): Promise<OpenSession>;
  /** The PDS to log in to: the one given, else the identifier's resolved PDS. */
  pdsForLogin(identifier: string, pds: string | undefined): Promise<string>;
  /** Observers of a migration's steps; none in the product (tests inject them). */
  migrationHooks(): MigrationHooks | undefined;
  /** Releases network connections so the process can exit at once. */
  close(): Promise<void>;
}

export function configDir(env: IO['env'], home: () => string): string {
  if (env.ATCLI_CONFIG_DIR) return env.ATCLI_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return `${env.XDG_CONFIG_HOME}/atcli`;
  return `${home()}/.config/atcli`;
}

export function createFactory(g: Globals, io: IO, err: StderrWriter, signal: AbortSignal): Factory {
  let http: Promise<HttpConfig> | undefined;
  let identity: Promise<IdentityConfig> | undefined;
  let store: Promise<FileSessionStore> | undefined;
  const f: Factory = {
    http() {
      http ??= (async () => {
        const { parseConnectTo } = await import('../core/net/http.js');
        return {
          timeoutMs: g.timeoutMs,
          ...(g.transferTimeoutMs !== undefined ? { transferTimeoutMs: g.transferTimeoutMs } : {}),
          ...(g.minBytesPerSecond !== undefined ? { minBytesPerSecond: g.minBytesPerSecond } : {}),
          userAgent: `atcli/${VERSION}`,
          allowPrivateNetwork: g.dev,
          connectTo: g.connectTo.map((spec) => parseConnectTo(spec)),
          ...(g.verbosity > 0 ? { log: (line: string) => err.debug(line) } : {}),
          signal,
        } satisfies HttpConfig;
      })();
      return http;
    },
    identity() {
      identity ??= (async () => ({
        http: await f.http(),
        plcUrl: g.plcUrl,
        ...(g.dnsServers ? { dnsServers: g.dnsServers } : {}),
        ...(g.handleResolver ? { handleResolver: g.handleResolver } : {}),
        handleResolverFirst: g.handleResolverFirst,
        dev: g.dev,
      }))();
      return identity;
    },
    async resolveAccount(id, opts = {}) {
      const { resolveIdentity } = await import('../core/identity/index.js');
      return resolveIdentity(await f.identity(), id, opts);
    },
    async plc() {
      const { PlcDirectoryClient } = await import('../core/plc/directory.js');
      return new PlcDirectoryClient({ http: await f.http(), plcUrl: g.plcUrl });
    },
    async xrpc(service) {
      const { XrpcClient } = await import('../core/xrpc/index.js');
      return new XrpcClient({ service, http: await f.http() });
    },
    sessionStore() {
      store ??= (async () => {
        const [{ FileSessionStore }, { homedir }] = await Promise.all([import('../core/account/session-store.js'), import('node:os')]);
        return new FileSessionStore(configDir(io.env, homedir));
      })();
      return store;
    },
    async pdsForLogin(identifier, pds) {
      if (pds) return pds.replace(/\/+$/, '');
      if (identifier.includes('@')) {
        throw usage('PdsRequired', 'logging in with an e-mail address needs the PDS', { hint: 'add --pds https://your-pds.example' });
      }
      const account = await f.resolveAccount(identifier);
      if (!account.pds) throw authError('NoPds', `${identifier} has no PDS in its DID document`, { hint: 'pass --pds explicitly' });
      return account.pds;
    },
    async session() {
      const { SessionAuth, login, sessionClient } = await import('../core/xrpc/index.js');
      const httpConfig = await f.http();
      const identifier = io.env.ATCLI_IDENTIFIER;
      const password = io.env.ATCLI_PASSWORD;
      if (identifier && password) {
        const pds = await f.pdsForLogin(identifier, io.env.ATCLI_PDS_URL);
        const session = await login(pds, identifier, password, { http: httpConfig, ...(io.env.ATCLI_AUTH_FACTOR_TOKEN ? { authFactorToken: io.env.ATCLI_AUTH_FACTOR_TOKEN } : {}) });
        const auth = SessionAuth.inMemory(session);
        return { client: await sessionClient(auth, httpConfig), auth, session, source: 'environment' };
      }
      const sessions = await f.sessionStore();
      const info = await sessions.readWithInfo(g.profile);
      if (!info) {
        throw withCompleteHint(
          authError('NotLoggedIn', `no stored login for profile "${g.profile}"`),
          `run "atcli account login${g.profile === 'default' ? '' : ` --profile ${g.profile}`}", or set ATCLI_IDENTIFIER and ATCLI_PASSWORD`,
        );
      }
      if (info.insecure) err.warn(`session file ${info.path} is readable by other users; run: chmod 600 "${info.path}"`);
      const auth = new SessionAuth(sessions, g.profile);
      return { client: await sessionClient(auth, httpConfig), auth, session: info.session, source: 'profile' };
    },
    migrationHooks: () => undefined,
    async close() {
      if (http === undefined) return;
      const { closeHttp } = await import('../core/net/http.js');
      await closeHttp();
    },
  };
  return f;
}
