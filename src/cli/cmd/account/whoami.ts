import { defineCommand } from '../../spec.js';

export default defineCommand({
  description: 'Shows the account of the stored login (or of ATCLI_IDENTIFIER + ATCLI_PASSWORD), as the PDS reports it now.',
  uses: ['network', 'auth'],
  examples: ['atcli account whoami', 'atcli --profile work account whoami --json'],
  notes: 'Exit status: 0, 5 not logged in or the session was refused.',
  async run({ g, out, f }) {
    const { client, session, source, auth } = await f.session();
    const { getSession } = await import('../../../core/xrpc/index.js');
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
      profile: source === 'profile' ? g.profile : null,
      source,
      appPassword: session.appPassword ?? false,
    };
    await out.result(result, (r) =>
      out.fields([
        ['handle', r.handle],
        ['did', r.did],
        ['pds', r.pds],
        ['email', r.email === undefined ? undefined : `${r.email}${r.emailConfirmed ? '' : ' (unconfirmed)'}`],
        ['active', r.active ? 'yes' : `no${r.status ? ` (${r.status})` : ''}`],
        ['session', r.source === 'profile' ? `profile "${r.profile}"${r.appPassword ? ' (app password)' : ''}` : 'ATCLI_IDENTIFIER / ATCLI_PASSWORD (not stored)'],
      ]),
    );
  },
});
