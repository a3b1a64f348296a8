import { defineCommand } from '../../../spec.js';

export default defineCommand({
  description: "Asks the PDS (com.atproto.identity.requestPlcOperationSignature) to e-mail the account's address the confirmation code that signing an identity update needs. The code is valid for about 15 minutes and works once.",
  uses: ['network', 'auth'],
  examples: ['atcli account plc request-token', 'atcli account plc request-token --json'],
  notes: 'Needs the account password session, not an app password.\nExit status: 0 requested, 5 not logged in or an app-password session.',
  async run({ out, f }) {
    const { client, session } = await f.session();
    const { requestPdsUpdateToken } = await import('../../../../core/account/plc-update.js');
    await requestPdsUpdateToken(client, session);
    const result = { did: session.did, pds: client.service, requested: true };
    await out.result(result, () => `a confirmation code was e-mailed to the address of ${session.handle}; it is valid for about 15 minutes\nnext: atcli account plc sign op.json --token <code> > signed.json`);
  },
});
