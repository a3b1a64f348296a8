import { defineCommand } from '../../../../spec.js';
import { opt } from '../../../../flags.js';
import { printListing } from '../../../../render/listing.js';
import { plural } from '../../../../render/text.js';
import { ADMIN_NOTE, openAdmin, pdsOption } from '../connect.js';

export default defineCommand({
  description: "Every account of the PDS: its hosting listing (com.atproto.sync.listRepos) joined with what com.atproto.admin.getAccountInfos says (handle, e-mail, dates), 100 accounts at a time.",
  options: { pds: pdsOption, status: opt.value('--status <status>', 'only accounts in this state: active, inactive, or a reason such as takendown or deactivated') },
  uses: ['network'],
  examples: ['atcli pds admin account list --pds https://pds.example.com', 'atcli pds admin account list --status takendown --pds https://pds.example.com --json'],
  notes: `One row per account (NDJSON with --json): did, handle, email, emailConfirmedAt, createdAt, deactivatedAt, invitesDisabled, invitedBy, inviteCodes, active, status, rev. Exit status: 0 listed. ${ADMIN_NOTE}`,
  async run({ opts, io, prompt, f, out, err }) {
    const { listAccounts } = await import('../../../../../core/pds/admin.js');
    const admin = await openAdmin({ io, prompt, f }, opts.pds);
    const n = await printListing(out, listAccounts(admin, opts.status !== undefined ? { status: opts.status } : {}), {
      header: ['handle', 'did', 'email', 'status', 'created'],
      row: (a) => [a.handle, a.did, a.email ?? '', a.active ? 'active' : (a.status ?? 'inactive'), a.createdAt ?? ''],
    });
    err.info(plural(n, 'account'));
  },
});
