import { usage } from '../../../core/errors.js';
import { checkDatetime } from '../../../core/syntax/index.js';
import { defineCommand } from '../../spec.js';
import { opt } from '../../flags.js';

function datetime(text: string, flag: string): string {
  const problem = checkDatetime(text);
  if (problem !== null) throw usage('InvalidDatetime', `${flag} must be a datetime: ${problem}`, { hint: `for example ${flag} 2030-01-01T00:00:00Z` });
  return text;
}

export default defineCommand({
  description: 'Deactivates the logged-in account with com.atproto.server.deactivateAccount: it stays on the PDS, disappears from the network, and comes back with "atcli account activate".',
  options: { deleteAfter: opt.parsed('--delete-after <datetime>', 'ask the PDS to delete the account after this time', datetime, { valueKind: 'none' }) },
  uses: ['network', 'auth', 'dryRun', 'yes'],
  examples: ['atcli account deactivate', 'atcli account deactivate --yes --json'],
  notes: 'Asks first (default no), or --yes; without a terminal --yes is required (exit 2).\nExit status: 0 deactivated, 2 not confirmed, 5 not logged in.',
  async run({ opts, g, out, prompt, f }) {
    const { client, session } = await f.session();
    if (g.dryRun) {
      return out.result({ dryRun: true, did: session.did, pds: client.service, deactivated: false }, (r) => `dry run: would deactivate ${r.did} on ${r.pds}`);
    }
    await prompt.require(
      `Deactivate ${session.handle} (${session.did}) on ${new URL(client.service).host}? It disappears from the network until reactivated`,
      'not deactivated: cancelled at the confirmation',
    );
    const [{ deactivateAccount }, { getSession }] = await Promise.all([import('../../../core/account/admin.js'), import('../../../core/xrpc/index.js')]);
    await deactivateAccount(client, opts.deleteAfter !== undefined ? { deleteAfter: opts.deleteAfter } : {});
    const info = await getSession(client);
    const result = { did: session.did, pds: client.service, deactivated: info.active === false, status: info.status ?? null, deleteAfter: opts.deleteAfter ?? null };
    await out.result(result, (r) => `deactivated ${r.did} on ${r.pds}${r.deleteAfter ? ` (to be deleted after ${r.deleteAfter})` : ''}; undo with: atcli account activate`);
  },
});
