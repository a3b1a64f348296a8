import type { RelayAccountStatus, RepoView } from '../../../core/relay/index.js';
import { defineCommand } from '../../spec.js';
import { arg } from '../../flags.js';
import type { Output } from '../../render/output.js';
import { crawlTarget } from '../../hints/ops.js';

const AGREEMENT_TEXT: Record<RelayAccountStatus['agreement'], string> = {
  'in-sync': 'in sync: same status and rev',
  behind: "behind: the relay has not taken the account's latest commits",
  ahead: 'ahead: the relay has a newer rev than the PDS reports',
  'status-differs': 'the hosting status differs',
  missing: 'the relay does not know the account',
  unknown: 'unknown: the PDS could not be asked',
};

function view(out: Output, v: RepoView | null, missing: string): string {
  if (v === null) return out.c.red(missing);
  return v.active ? `active${v.rev !== undefined ? ` at rev ${v.rev}` : ''}` : out.c.red(v.status ?? 'inactive');
}

export default defineCommand({
  description: "Resolves the account, then asks the relay and the account's own PDS (from its DID document) for com.atproto.sync.getRepoStatus, and compares: is the relay following it, at the PDS's current rev, with the same hosting status?",
  args: { id: arg.required('id', 'the account: handle, DID or at:// URI') },
  uses: ['network', 'relay'],
  examples: ['atcli relay account status alice.example.com', 'atcli relay account status did:plc:… --relay https://relay.example.com --json'],
  notes: 'JSON: did, handle, relay ({url, repo}), pds ({url, repo, error}), agreement (in-sync, behind, ahead, status-differs, missing, unknown). Exit status: 0 in sync; 3 behind, ahead, missing or the status differs; 1 the PDS could not be asked; 4 the account does not resolve.',
  async run({ args, g, out, err, f }) {
    const { relayAccountStatus } = await import('../../../core/relay/accounts.js');
    const spin = err.spinner(`asking ${g.relayUrl} and the account's PDS`);
    const s = await relayAccountStatus({ http: await f.http(), identity: await f.identity(), relay: g.relayUrl, id: args.id }).finally(() => spin.stop());
    await out.result(s, (r) =>
      out.fields([
        ['did', r.did],
        ['handle', r.handle],
        ['relay', `${r.relay.url}  ${view(out, r.relay.repo, 'not known')}`],
        ['pds', `${r.pds.url ?? out.c.red('none')}  ${r.pds.error !== undefined ? out.c.red(r.pds.error) : view(out, r.pds.repo, 'no repository')}`],
        ['agreement', `${out.mark(r.agreement === 'in-sync' ? 'ok' : r.agreement === 'unknown' ? 'unchecked' : 'fail')} ${AGREEMENT_TEXT[r.agreement]}`],
      ]),
    );
    if (s.agreement === 'in-sync') return 0;
    if (s.pds.url !== null && s.agreement !== 'unknown') err.hint(`ask the relay to crawl the PDS: atcli relay request-crawl ${crawlTarget(s.pds.url)} --relay ${g.relayUrl}`);
    return s.agreement === 'unknown' ? 1 : 3;
  },
});
