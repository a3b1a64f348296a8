// Where an authenticated command gets its session: ATCLI_IDENTIFIER + ATCLI_PASSWORD (a login
// for this process only, never written), else the stored profile.
import type { Context } from './context.js';
import { authError, usage } from '../../core/errors.js';
import { FileSessionStore } from '../../core/account/session-store.js';
import { SessionAuth, login, sessionClient, type SessionData, type XrpcClient } from '../../core/xrpc/index.js';
import { resolveIdentity } from '../../core/identity/index.js';

export interface OpenSession {
  client: XrpcClient;
  auth: SessionAuth;
  session: SessionData;
  source: 'profile' | 'environment';
}

/** The PDS to log in to: --pds, else the identifier's resolved PDS. */
export async function pdsForLogin(ctx: Context, identifier: string, pds: string | undefined): Promise<string> {
  if (pds) return pds.replace(/\/+$/, '');
  if (identifier.includes('@')) {
    throw usage('PdsRequired', 'logging in with an e-mail address needs the PDS', { hint: 'add --pds https://your-pds.example' });
  }
  const identity = await resolveIdentity(await ctx.identityConfig(), identifier);
  if (!identity.pds) throw authError('NoPds', `${identifier} has no PDS in its DID document`, { hint: 'pass --pds explicitly' });
  return identity.pds;
}

export async function openSession(ctx: Context): Promise<OpenSession> {
  const http = await ctx.httpConfig();
  const identifier = ctx.env.ATCLI_IDENTIFIER;
  const password = ctx.env.ATCLI_PASSWORD;
  if (identifier && password) {
    const pds = await pdsForLogin(ctx, identifier, ctx.env.ATCLI_PDS_URL);
    const session = await login(pds, identifier, password, { http, authFactorToken: ctx.env.ATCLI_AUTH_FACTOR_TOKEN });
    const auth = SessionAuth.inMemory(session);
    return { client: await sessionClient(auth, http), auth, session, source: 'environment' };
  }
  const store = new FileSessionStore(ctx.configDir);
  const info = await store.readWithInfo(ctx.profile);
  if (!info) {
    throw authError('NotLoggedIn', `no stored login for profile "${ctx.profile}"`, {
      hint: `run "atcli account login${ctx.profile === 'default' ? '' : ` --profile ${ctx.profile}`}", or set ATCLI_IDENTIFIER and ATCLI_PASSWORD`,
    });
  }
  if (info.insecure) ctx.warn(`session file ${info.path} is readable by other users; run: chmod 600 "${info.path}"`);
  const auth = new SessionAuth(store, ctx.profile);
  return { client: await sessionClient(auth, http), auth, session: info.session, source: 'profile' };
}
