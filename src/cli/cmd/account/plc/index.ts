import { child, defineGroup } from '../../../spec.js';

export default defineGroup({
  description: "Identity updates of a PDS-managed did:plc: the PDS holds a rotation key and signs an update once the account confirms it with a code e-mailed to the account's address.",
  examples: [
    'atcli account plc request-token',
    'atcli account plc sign op.json --token ABCDE-12345 > signed.json',
    'atcli account plc submit signed.json',
  ],
  commands: {
    recommended: child("the DID credentials the logged-in account's PDS recommends (JSON)", () => import('./recommended.js')),
    'request-token': child('ask the PDS to e-mail the confirmation code that signing needs (valid ~15 minutes)', () => import('./request-token.js')),
    sign: child('have the PDS sign an identity update (not submitted); prints the signed operation', () => import('./sign.js')),
    submit: child('check a signed update locally, confirm, and submit it through the PDS', () => import('./submit.js')),
  },
});
