import type { PlcHistory } from '../../../core/plc/history.js';
import { opt } from '../../flags.js';
import type { Output } from '../../render/output.js';
import { capped } from '../../render/text.js';
import { defineCommand } from '../../spec.js';
import { SHOWN, idArg, plcDid, waitFor } from './shared.js';

async function render(out: Output, h: PlcHistory, long: boolean): Promise<string> {
  const rows = h.operations.map((o) => [
    String(o.index),
    o.createdAt,
    o.cid,
    o.type,
    o.signedBy ? `#${o.signedBy.keyIndex}` : '-',
    o.nullified ? (o.nullifiedBy !== null ? `nullified by #${o.nullifiedBy}` : 'nullified') : '',
    out.mark(o.valid ? 'ok' : 'fail'),
  ]);
  const lines = [await out.table(rows, ['#', 'createdAt', 'cid', 'type', 'key', 'nullified', 'ok'])];
  if (long) {
    for (const o of h.operations) {
      lines.push('', `#${o.index} ${o.cid}${o.signedBy ? ` signed by rotation key #${o.signedBy.keyIndex} ${o.signedBy.key}` : ''}`);
      for (const ch of o.changes) lines.push(`  ${ch}`);
      if (o.changesOmitted > 0) lines.push(`  … and ${o.changesOmitted} more`);
    }
  }
  const problems = h.operations.flatMap((o) => [
    ...o.problems.map((p) => `${out.mark('fail')} #${o.index}: ${p}`),
    ...(o.problemsOmitted > 0 ? [`${out.mark('fail')} #${o.index}: … and ${o.problemsOmitted} more`] : []),
  ]);
  const { shown, more } = capped(problems, SHOWN);
  if (shown.length > 0) lines.push('', ...shown);
  if (more > 0) lines.push(`… and ${more} more (all of them with --json)`);
  return lines.join('\n');
}

export default defineCommand({
  args: { id: idArg },
  options: { long: opt.flag('-l, --long', 'also show what each operation changed') },
  uses: ['network'],
  examples: [
    'atcli plc history alice.example.com',
    'atcli plc history did:plc:ewvi7nxzyoun6zhxrhs64oiz --long',
    "atcli plc history did:plc:ewvi7nxzyoun6zhxrhs64oiz --json | jq '.operations[] | select(.nullified)'",
  ],
  notes:
    'Columns: index, createdAt, CID, type, the rotation key (its index in the keys of the operation its prev names) that signed it, whether it was nullified and by which operation, and ✓/✗ for its validity. Lists of problems and changes show their first 20 and count the rest (JSON: problemsOmitted, changesOmitted).\nExit status: 0 (a log that does not verify is reported with a warning; "atcli plc verify" exits 3 for it), 4 unknown DID.',
  async run({ args, opts, out, err, f }) {
    const did = await plcDid(f, err, args.id);
    const { plcHistory } = await import('../../../core/plc/history.js');
    const client = await f.plc();
    const history = await waitFor(err, `fetching the audit log of ${did}`, () => plcHistory(client, did));
    if (!history.valid) {
      const n = history.problems.length + history.problemsOmitted;
      err.warn(`the audit log of ${did} does not verify (${n} problem${n === 1 ? '' : 's'}); "atcli plc verify ${did}" explains`);
    }
    await out.result(history, (h) => render(out, h, opts.long));
  },
});
