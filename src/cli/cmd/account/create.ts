import { usage } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { did, handle, opt, serviceUrl } from '../../flags.js';
import { checkRecoveryKey, newAccountPassword } from './inputs.js';

export default defineCommand({
  description:
    'Creates an account with com.atproto.server.createAccount. With --existing-did the account is created deactivated for an identity you bring (a migration); it becomes active once the DID document points at the new host (atcli account activate).',
  options: {
    pds: opt.requiredParsed('--pds <url>', 'the PDS to create it on', serviceUrl(['http:', 'https:']), { valueKind: 'none' }),
    handle: opt.requiredParsed('--handle <handle>', 'the handle of the new account', (text, flag) => handle(text.replace(/^@/, ''), flag), { valueKind: 'none' }),
    email: opt.required('--email <address>', 'its e-mail address', { valueKind: 'none' }),
    inviteCode: opt.value('--invite-code <code>', 'invite code (when the PDS requires one)', { valueKind: 'none' }),
    existingDid: opt.parsed('--existing-did <did>', 'bring an existing DID (migration); needs --service-auth', did, { valueKind: 'none' }),
    serviceAuth: opt.value('--service-auth <jwt>', "service-auth token from the DID's current PDS (aud = the new PDS's DID, lxm = com.atproto.server.createAccount)", { valueKind: 'none' }),
    recoveryKey: opt.value('--recovery-key <did:key>', 'a rotation key you hold, put first in a new DID (not with --existing-did)', { valueKind: 'none' }),
  },
  uses: ['network'],
  examples: [
    'atcli account create --pds https://pds.example.com --handle alice.pds.example.com --email alice@example.com',
    'atcli account create --pds https://pds.example.com --handle alice.example.com --email a@example.com --existing-did did:plc:… --service-auth "$jwt"',
  ],
  notes:
    'The password comes from ATCLI_NEW_PASSWORD or a hidden prompt (asked twice), never from a flag. The account is not logged in afterwards: atcli account login -u <did> --pds <url>. To move an account with everything in it use "atcli account migrate".\nExit status: 0 created, 2 refused input (handle taken, invite code needed), 1 the PDS failed.',
  async run({ opts, io, out, prompt, f }) {
    if (opts.existingDid !== undefined && opts.serviceAuth === undefined) {
      throw usage('ServiceAuthRequired', "--existing-did needs --service-auth <jwt> from the DID's current PDS");
    }
    if (opts.serviceAuth !== undefined && opts.existingDid === undefined) {
      throw usage('DidRequired', '--service-auth goes with --existing-did <did>', { hint: 'a service-auth token proves control of an existing DID; without one, the PDS creates a new DID' });
    }
    await checkRecoveryKey(opts.recoveryKey);
    const admin = await import('../../../core/account/admin.js');
    const client = await f.xrpc(opts.pds);
    const server = await admin.describeServer(client);
    if (server.inviteCodeRequired && opts.inviteCode === undefined) throw usage('InviteCodeRequired', `${client.service} requires an invite code`);
    const password = await newAccountPassword(io, prompt, `the new account ${opts.handle}`, true);
    const created = await admin.createAccount(client, {
      handle: opts.handle,
      email: opts.email,
      password,
      ...(opts.inviteCode !== undefined ? { inviteCode: opts.inviteCode } : {}),
      ...(opts.existingDid !== undefined && opts.serviceAuth !== undefined ? { did: opts.existingDid, serviceAuth: opts.serviceAuth } : {}),
      ...(opts.recoveryKey !== undefined ? { recoveryKey: opts.recoveryKey } : {}),
    });
    const result = { did: created.did, handle: created.handle, pds: client.service, deactivated: opts.existingDid !== undefined };
    await out.result(result, (r) =>
      `created ${r.handle} (${r.did}) on ${r.pds}${r.deactivated ? ' — deactivated until the identity points here: atcli account activate' : ''}\nlog in with: atcli account login -u ${r.did} --pds ${r.pds}`,
    );
  },
});
