import type { CommandRun } from '../program.js';
import { fields, printResult } from '../output.js';
import { promptSecret, promptText } from '../prompt.js';
import { openSession, pdsForLogin } from '../session.js';
import { FileSessionStore } from '../../core/account/session-store.js';
import { getSession, login, logout } from '../../core/xrpc/index.js';

export async function loginCommand({ ctx, opts }: CommandRun): Promise<void> {
  const identifier = (opts.identifier as string | undefined) ?? ctx.env.ATCLI_IDENTIFIER ?? (await promptText(ctx, 'Handle, DID or e-mail', '-u/--identifier or ATCLI_IDENTIFIER'));
  const pds = await pdsForLogin(ctx, identifier, opts.pds as string | undefined);
  const password = ctx.env.ATCLI_PASSWORD ?? (await promptSecret(ctx, `Password for ${identifier}`, 'the ATCLI_PASSWORD environment variable'));
  const session = await login(pds, identifier, password, { http: await ctx.httpConfig(), authFactorToken: ctx.env.ATCLI_AUTH_FACTOR_TOKEN });
  const store = new FileSessionStore(ctx.configDir);
  await store.write(ctx.profile, session);
  if (session.appPassword) ctx.info('note: logged in with an app password; PLC operations and account migration need the account password');
  const result = { did: session.did, handle: session.handle, pds: session.pds, profile: ctx.profile, sessionFile: store.path(ctx.profile) };
  await printResult(ctx, result, (r) => `logged in as ${r.handle} (${r.did}) on ${r.pds}\nsession stored for profile "${r.profile}" in ${r.sessionFile}`);
}

export async function logoutCommand({ ctx }: CommandRun): Promise<void> {
  const store = new FileSessionStore(ctx.configDir);
  const session = await store.read(ctx.profile);
  let revoked = false;
  if (session) revoked = await logout(session, { http: await ctx.httpConfig() });
  const removed = await store.remove(ctx.profile);
  const result = { profile: ctx.profile, loggedOut: removed, revoked };
  await printResult(ctx, result, (r) =>
    r.loggedOut ? `logged out of profile "${r.profile}"${r.revoked ? '' : ' (the server did not confirm the session was revoked)'}` : `profile "${r.profile}" had no stored login`,
  );
}

export async function whoamiCommand({ ctx }: CommandRun): Promise<void> {
  const { client, session, source, auth } = await openSession(ctx);
  const info = await getSession(client);
  const current = await auth.session();
  const result = {
    did: info.did,
    handle: info.handle,
    pds: current.pds,
    email: info.email,
    emailConfirmed: info.emailConfirmed,
    active: info.active ?? true,
    status: info.status,
    profile: source === 'profile' ? ctx.profile : null,
    source,
    appPassword: session.appPassword ?? false,
  };
  await printResult(ctx, result, (r) =>
    fields(ctx, [
      ['handle', r.handle],
      ['did', r.did],
      ['pds', r.pds],
      ['email', r.email === undefined ? undefined : `${r.email}${r.emailConfirmed ? '' : ' (unconfirmed)'}`],
      ['active', r.active ? 'yes' : `no${r.status ? ` (${r.status})` : ''}`],
      ['session', r.source === 'profile' ? `profile "${r.profile}"` : 'ATCLI_IDENTIFIER / ATCLI_PASSWORD (not stored)'],
    ]),
  );
}
