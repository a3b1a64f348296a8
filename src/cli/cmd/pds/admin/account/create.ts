import { usage } from '../../../../../core/errors.js';
import { defineCommand } from '../../../../spec.js';
import { did, handle, opt, type Parser } from '../../../../flags.js';
import { secretFrom } from '../../../../inputs.js';
import { ADMIN_NOTE, NEW_PASSWORD_ENV, dryRunResult, openAdmin, pdsOption } from '../connect.js';

const SERVICE_AUTH_ENV = 'ATCLI_SERVICE_AUTH';

const publicDidKey: Parser<string> = (text, flag) => {
  if (!/^did:key:z[1-9A-HJ-NP-Za-km-z]{40,60}$/.test(text)) throw usage('InvalidRecoveryKey', `${flag} must be a did:key (the public key), got "${text.slice(0, 80)}"`, { hint: 'make a key pair with: atcli key generate' });
  return text;
};

export default defineCommand({
  description: `Creates an account the way the pdsadmin scripts do: when the PDS requires invite codes, a single-use code is made for it first; then com.atproto.server.createAccount. The password comes from ${NEW_PASSWORD_ENV}, or is generated (24 characters) and printed once, on stdout only.`,
  options: {
    pds: pdsOption,
    handle: opt.requiredParsed('--handle <handle>', "the new account's handle", handle),
    email: opt.required('--email <address>', "the new account's e-mail address"),
    existingDid: opt.parsed('--existing-did <did>', `an identity that exists already (a migration, a did:web): the account is created deactivated; needs a service-auth token from its current PDS in ${SERVICE_AUTH_ENV} (or a prompt)`, did),
    recoveryKey: opt.parsed('--recovery-key <did:key>', 'a public key you hold, made the first rotation key of the new did:plc', publicDidKey),
  },
  uses: ['network', 'dryRun', 'yes'],
  examples: [
    'atcli pds admin account create --handle bob.pds.example.com --email bob@example.com --pds https://pds.example.com',
    'ATCLI_NEW_PASSWORD=… atcli pds admin account create --handle bob.example.com --email bob@example.com --pds https://pds.example.com --json',
  ],
  notes: `JSON: did, handle, email, password (only when generated), inviteCode (when one was made). Exit status: 0 created, 2 a bad handle or e-mail, or the PDS refused the handle. ${ADMIN_NOTE}`,
  async run({ opts, g, io, prompt, f, out, err }) {
    const { createAccountAsAdmin } = await import('../../../../../core/pds/admin.js');
    const admin = await openAdmin({ io, prompt, f }, opts.pds);
    const password = io.env[NEW_PASSWORD_ENV];
    const input = {
      handle: opts.handle,
      email: opts.email,
      ...(opts.existingDid !== undefined ? { did: opts.existingDid } : {}),
      ...(opts.recoveryKey !== undefined ? { recoveryKey: opts.recoveryKey } : {}),
    };
    if (g.dryRun) {
      return dryRunResult({ out, err }, { action: 'create-account', pds: admin.url, ...input }, `create ${opts.handle} (${opts.email}) on ${admin.url}${opts.existingDid !== undefined ? ` for ${opts.existingDid}` : ''}`);
    }
    const serviceAuth = opts.existingDid !== undefined ? await secretFrom(io, prompt, SERVICE_AUTH_ENV, 'Service-auth token from the current PDS') : undefined;
    const created = await createAccountAsAdmin(admin, { ...input, ...(password ? { password } : {}), ...(serviceAuth !== undefined ? { serviceAuth } : {}) });
    await out.result(created, (r) =>
      out.fields([
        ['did', r.did],
        ['handle', r.handle],
        ['email', r.email],
        ['invite code', r.inviteCode],
        ['password', r.password],
      ]),
    );
    if (created.password !== undefined) err.warn('the password is shown only this once: keep it somewhere safe');
  },
});
