import { child, defineCommand, defineGroup } from '../../../spec.js';
import { account, arg, integer, opt } from '../../../flags.js';
import { printListing } from '../../../render/listing.js';
import { plural } from '../../../render/text.js';
import { ADMIN_NOTE, dryRunResult, openAdmin, pdsOption } from './connect.js';

const create = defineCommand({
  description: 'Creates invite codes (com.atproto.server.createInviteCodes), each usable --uses times; with --for, they belong to that account.',
  options: {
    pds: pdsOption,
    count: opt.withDefault('--count <n>', 'how many codes', 1, integer({ min: 1, max: 1000 })),
    uses: opt.withDefault('--uses <n>', 'how many accounts each code may create', 1, integer({ min: 1, max: 100_000 })),
    forAccount: opt.parsed('--for <id>', 'the account (DID or handle) the codes belong to', account),
  },
  uses: ['network', 'dryRun', 'yes'],
  examples: ['atcli pds admin invites create --pds https://pds.example.com', 'atcli pds admin invites create --count 10 --uses 2 --pds https://pds.example.com --json'],
  notes: `JSON: codes, useCount. Exit status: 0 created, 2 a bad number. ${ADMIN_NOTE}`,
  async run({ opts, g, io, prompt, f, out, err }) {
    const { createInviteCodes } = await import('../../../../core/pds/admin.js');
    const admin = await openAdmin({ io, prompt, f }, opts.pds);
    const request = { count: opts.count, useCount: opts.uses, ...(opts.forAccount !== undefined ? { forAccount: opts.forAccount } : {}) };
    if (g.dryRun) return dryRunResult({ out, err }, { action: 'create-invites', pds: admin.url, ...request }, `create ${plural(opts.count, 'invite code')} usable ${plural(opts.uses, 'time')} each on ${admin.url}`);
    const made = await createInviteCodes(admin, request);
    await out.result(made, (r) => out.table(r.codes.map((c) => [c]), ['code']));
    err.info(`${plural(made.codes.length, 'code')}, each usable ${plural(made.useCount, 'time')}`);
  },
});

const list = defineCommand({
  description: 'Lists invite codes, newest first (com.atproto.admin.getInviteCodes): how often each may still be used, how often it was, by whom, and whether it is disabled.',
  options: {
    pds: pdsOption,
    filter: opt.choiceWithDefault('--filter <which>', 'all, used (at least once), disabled, or free (never used, not disabled)', ['all', 'used', 'disabled', 'free'], 'all'),
  },
  uses: ['network'],
  examples: ['atcli pds admin invites list --pds https://pds.example.com', 'atcli pds admin invites list --filter free --pds https://pds.example.com --json'],
  notes: `One row per code (NDJSON with --json): code, available, disabled, forAccount, createdBy, createdAt, used, uses ([{usedBy, usedAt}], the first 50). ${ADMIN_NOTE}`,
  async run({ opts, io, prompt, f, out, err }) {
    const { listInviteCodes } = await import('../../../../core/pds/admin.js');
    const admin = await openAdmin({ io, prompt, f }, opts.pds);
    const n = await printListing(out, listInviteCodes(admin, { filter: opts.filter }), {
      header: ['code', 'available', 'used', 'state', 'for', 'created'],
      row: (c) => [c.code, String(c.available), String(c.used), c.disabled ? 'disabled' : 'enabled', c.forAccount, c.createdAt],
    });
    err.info(plural(n, 'invite code'));
  },
});

const disable = defineCommand({
  description: 'Disables invite codes (com.atproto.admin.disableInviteCodes): the codes given, and every code of the accounts given with --account.',
  args: { codes: arg.variadic('code', 'invite codes to disable') },
  options: { pds: pdsOption, accounts: opt.listParsed('--account <id>', 'also disable every code of this account (DID or handle; repeatable)', account) },
  uses: ['network', 'dryRun', 'yes'],
  examples: ['atcli pds admin invites disable pds-example-com-abcde-fghij --pds https://pds.example.com', 'atcli pds admin invites disable --account spam.example.com --pds https://pds.example.com'],
  notes: `JSON: codes, accounts (as DIDs). Exit status: 0 disabled, 2 nothing named. ${ADMIN_NOTE}`,
  async run({ args, opts, g, io, prompt, f, out, err }) {
    const { disableInviteCodes } = await import('../../../../core/pds/admin.js');
    const admin = await openAdmin({ io, prompt, f }, opts.pds);
    const what = `${plural(args.codes.length, 'code')} and every code of ${plural(opts.accounts.length, 'account')}`;
    if (g.dryRun) return dryRunResult({ out, err }, { action: 'disable-invites', pds: admin.url, codes: args.codes, accounts: opts.accounts }, `disable ${what} on ${admin.url}`);
    const done = await disableInviteCodes(admin, { codes: args.codes, accounts: opts.accounts });
    await out.result(done, () => `${out.mark('ok')} disabled ${what}`);
  },
});

export default defineGroup({
  examples: ['atcli pds admin invites create --count 5 --pds https://pds.example.com', 'atcli pds admin invites list --filter used --pds https://pds.example.com'],
  commands: {
    create: child('create invite codes (--count, --uses, --for)', async () => ({ default: create })),
    list: child('list invite codes with their uses (NDJSON with --json)', async () => ({ default: list })),
    disable: child('disable invite codes, or every code of an account', async () => ({ default: disable })),
  },
});
