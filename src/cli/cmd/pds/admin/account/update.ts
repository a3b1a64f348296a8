import { defineCommand } from '../../../../spec.js';
import { arg, handle } from '../../../../flags.js';
import { ADMIN_NOTE, NEW_PASSWORD_ENV, dryRunResult, idArg, openAdmin, pdsOption } from '../connect.js';
import { accountFields } from './info.js';


export const updateHandle = defineCommand({
  description: "Changes the account's handle (com.atproto.admin.updateAccountHandle); for a did:plc the PDS updates the DID document too. A handle outside the PDS's own domains must already resolve to the account (DNS TXT _atproto.<handle> or https://<handle>/.well-known/atproto-did).",
  args: { id: idArg, handle: arg.requiredParsed('handle', 'the new handle', handle) },
  options: { pds: pdsOption },
  uses: ['network', 'dryRun', 'yes'],
  examples: ['atcli pds admin account update-handle alice.pds.example.com alice.example.com --pds https://pds.example.com'],
  notes: `JSON: the account as afterwards reported (see "account info"). Exit status: 0 changed, 2 not a handle or refused, 4 no such account. ${ADMIN_NOTE}`,
  async run({ args, opts, g, io, prompt, f, out, err }) {
    const { accountInfo, updateAccountHandle } = await import('../../../../../core/pds/admin.js');
    const admin = await openAdmin({ io, prompt, f }, opts.pds);
    if (g.dryRun) {
      const now = await accountInfo(admin, args.id);
      return dryRunResult({ out, err }, { action: 'update-handle', pds: admin.url, did: now.did, from: now.handle, to: args.handle }, `change the handle of ${now.did} from ${now.handle} to ${args.handle}`);
    }
    const after = await updateAccountHandle(admin, args.id, args.handle);
    await out.result(after, (a) => accountFields(out, a));
  },
});

export const updateEmail = defineCommand({
  description: "Changes the account's e-mail address (com.atproto.admin.updateAccountEmail).",
  args: { id: idArg, email: arg.required('email', 'the new e-mail address') },
  options: { pds: pdsOption },
  uses: ['network', 'dryRun', 'yes'],
  examples: ['atcli pds admin account update-email alice.example.com alice@new.example.com --pds https://pds.example.com'],
  notes: `JSON: the account as afterwards reported (see "account info"). Exit status: 0 changed, 2 not an e-mail address, 4 no such account. ${ADMIN_NOTE}`,
  async run({ args, opts, g, io, prompt, f, out, err }) {
    const { accountInfo, updateAccountEmail } = await import('../../../../../core/pds/admin.js');
    const admin = await openAdmin({ io, prompt, f }, opts.pds);
    if (g.dryRun) {
      const now = await accountInfo(admin, args.id);
      return dryRunResult({ out, err }, { action: 'update-email', pds: admin.url, did: now.did, from: now.email ?? null, to: args.email }, `change the e-mail address of ${now.did} from ${now.email ?? '(none)'} to ${args.email}`);
    }
    const after = await updateAccountEmail(admin, args.id, args.email);
    await out.result(after, (a) => accountFields(out, a));
  },
});

export const resetPassword = defineCommand({
  description: `Sets a new password for the account (com.atproto.admin.updateAccountPassword): from ${NEW_PASSWORD_ENV}, or generated (24 characters) and printed once, on stdout only. The old password stops working.`,
  args: { id: idArg },
  options: { pds: pdsOption },
  uses: ['network', 'dryRun', 'yes'],
  examples: ['atcli pds admin account reset-password alice.example.com --pds https://pds.example.com', `${NEW_PASSWORD_ENV}=… atcli pds admin account reset-password did:plc:… --pds https://pds.example.com`],
  notes: `JSON: did, password (only when generated). Exit status: 0 set, 4 no such account. ${ADMIN_NOTE}`,
  async run({ args, opts, g, io, prompt, f, out, err }) {
    const { accountInfo, resetAccountPassword } = await import('../../../../../core/pds/admin.js');
    const admin = await openAdmin({ io, prompt, f }, opts.pds);
    const chosen = io.env[NEW_PASSWORD_ENV];
    if (g.dryRun) {
      const now = await accountInfo(admin, args.id);
      return dryRunResult({ out, err }, { action: 'reset-password', pds: admin.url, did: now.did }, `set a new password for ${now.did} (${now.handle})${chosen ? ` from ${NEW_PASSWORD_ENV}` : ', generated'}`);
    }
    const done = await resetAccountPassword(admin, args.id, chosen || undefined);
    await out.result(done, (r) => out.fields([['did', r.did], ['password', r.password ?? `set from ${NEW_PASSWORD_ENV}`]]));
    if (done.password !== undefined) err.warn('the password is shown only this once: keep it somewhere safe');
  },
});
