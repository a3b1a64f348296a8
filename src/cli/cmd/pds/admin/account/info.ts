import type { AdminAccountInfo } from '../../../../../core/pds/admin.js';
import { defineCommand } from '../../../../spec.js';
import type { Output } from '../../../../render/output.js';
import { ADMIN_NOTE, idArg, openAdmin, pdsOption } from '../connect.js';

/** An account as the PDS's admin endpoints report it, for people. */
export function accountFields(out: Output, a: AdminAccountInfo): string {
  const c = out.c;
  const hosting = a.repo === null ? c.red('no repository') : a.repo.active ? `${c.green('active')}${a.repo.rev !== undefined ? ` at rev ${a.repo.rev}` : ''}` : c.red(a.repo.status ?? 'inactive');
  return out.fields([
    ['did', a.did],
    ['handle', a.handle],
    ['email', a.email === undefined ? undefined : `${a.email}${a.emailConfirmedAt !== undefined ? c.dim(` (confirmed ${a.emailConfirmedAt})`) : c.dim(' (not confirmed)')}`],
    ['created', a.createdAt],
    ['deactivated', a.deactivatedAt],
    ['repository', hosting],
    ['takedown', a.takedown?.applied === true ? c.red(`applied${a.takedown.ref !== undefined ? ` (ref ${a.takedown.ref})` : ''}`) : 'none'],
    ['invited by', a.invitedBy],
    ['invite codes', a.inviteCodes],
    ['invites', a.invitesDisabled === true ? 'disabled' : undefined],
  ]);
}

export default defineCommand({
  description: 'One account: com.atproto.admin.getAccountInfo (handle, e-mail, dates, invites), its takedown state (getSubjectStatus) and its hosting status (the public getRepoStatus).',
  args: { id: idArg },
  options: { pds: pdsOption },
  uses: ['network'],
  examples: ['atcli pds admin account info alice.example.com --pds https://pds.example.com', 'atcli pds admin account info did:plc:… --pds https://pds.example.com --json'],
  notes: `JSON: did, handle, email, emailConfirmedAt, createdAt, deactivatedAt, invitesDisabled, invitedBy, inviteCodes, takedown ({applied, ref} or null), repo ({did, active, status, rev} or null). Exit status: 0 found, 4 no such account. ${ADMIN_NOTE}`,
  async run({ args, opts, io, prompt, f, out }) {
    const { accountInfo } = await import('../../../../../core/pds/admin.js');
    const info = await accountInfo(await openAdmin({ io, prompt, f }, opts.pds), args.id);
    await out.result(info, (a) => accountFields(out, a));
  },
});
