import { defineCommand } from '../../spec.js';

export default defineCommand({
  description: 'Asks the PDS to revoke the stored session, then deletes the session file of the profile.',
  uses: ['network', 'auth'],
  examples: ['atcli account logout', 'atcli --profile work account logout --json'],
  notes: 'Exit status: 0 (also when the profile had no stored login: "loggedOut": false).',
  async run({ g, out, f }) {
    const store = await f.sessionStore();
    const session = await store.read(g.profile);
    let revoked = false;
    if (session) {
      const { logout } = await import('../../../core/xrpc/index.js');
      revoked = await logout(session, { http: await f.http() });
    }
    const result = { profile: g.profile, loggedOut: await store.remove(g.profile), revoked };
    await out.result(result, (r) =>
      r.loggedOut ? `logged out of profile "${r.profile}"${r.revoked ? '' : ' (the server did not confirm the session was revoked)'}` : `profile "${r.profile}" had no stored login`,
    );
  },
});
