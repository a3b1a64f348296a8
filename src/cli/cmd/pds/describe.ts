import { defineCommand } from '../../spec.js';
import { arg } from '../../flags.js';

export default defineCommand({
  description: 'Asks com.atproto.server.describeServer: the service DID, the handle domains the PDS offers its users, whether sign-up needs an invite code or a phone verification, and its policy links and contact.',
  args: { url: arg.required('url', 'the PDS: https://host (a bare host means https)') },
  uses: ['network'],
  examples: ['atcli pds describe https://pds.example.com', 'atcli pds describe bsky.social --json'],
  notes: 'JSON: url, did, availableUserDomains, inviteCodeRequired, phoneVerificationRequired, links, contact. Exit status: 0 described, 1 the host did not answer or answered nonsense, 2 not a service URL.',
  async run({ args, out, f }) {
    const { describePds } = await import('../../../core/pds/server.js');
    const d = await describePds(await f.http(), args.url);
    await out.result(d, (r) =>
      out.fields([
        ['url', r.url],
        ['did', r.did],
        ['handle domains', r.availableUserDomains.length > 0 ? r.availableUserDomains.join(', ') : out.c.dim('none')],
        ['invite code', r.inviteCodeRequired ? 'required' : 'not required'],
        ['phone verification', r.phoneVerificationRequired ? 'required' : 'not required'],
        ['privacy policy', r.links?.privacyPolicy],
        ['terms of service', r.links?.termsOfService],
        ['contact', r.contact?.email],
      ]),
    );
  },
});
