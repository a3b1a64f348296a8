import { runtime } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';

export default defineCommand({
  description: 'Activates the logged-in account with com.atproto.server.activateAccount and reads back checkAccountStatus. A PDS refuses until the DID document names its signing key and endpoint.',
  uses: ['network', 'auth', 'dryRun'],
  examples: ['atcli account activate', 'atcli account activate --dry-run --json'],
  notes: 'Exit status: 0 active, 1 the PDS still reports the account as not active, 5 not logged in.',
  async run({ g, out, err, f }) {
    const { client, session } = await f.session();
    if (g.dryRun) {
      return out.result({ dryRun: true, did: session.did, pds: client.service, activated: false }, (r) => `dry run: would activate ${r.did} on ${r.pds}`);
    }
    const { activateAccount, checkAccountStatus } = await import('../../../core/account/admin.js');
    await activateAccount(client);
    const st = await checkAccountStatus(client);
    const result = { did: session.did, pds: client.service, activated: st.activated, validDid: st.validDid };
    if (!st.validDid) err.warn(`the DID document of ${session.did} does not point at ${client.service}: the network will not treat this account as current`);
    await out.result(result, (r) => (r.activated ? `activated ${r.did} on ${r.pds}` : `${r.pds} still reports ${r.did} as not active`));
    if (!st.activated) throw runtime('ActivationFailed', `${client.service} still reports the account as not active`);
  },
});
