import { defineCommand } from '../../../spec.js';

export default defineCommand({
  description:
    "com.atproto.identity.getRecommendedDidCredentials of the logged-in account's PDS: the rotation keys, signing key, handle and endpoint it would put in the DID document. Printed as JSON (the form an identity update takes).",
  uses: ['network', 'auth'],
  examples: ['atcli account plc recommended', 'atcli account plc recommended | jq .verificationMethods'],
  notes: 'Exit status: 0, 5 not logged in.',
  async run({ out, f }) {
    const { client } = await f.session();
    const { getRecommendedDidCredentials } = await import('../../../../core/account/admin.js');
    await out.result(await getRecommendedDidCredentials(client), (c) => JSON.stringify(c, null, 2));
  },
});
