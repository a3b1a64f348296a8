import { stat } from 'node:fs/promises';
import { usage } from '../../../core/errors.js';
import type { PlcLogReport } from '../../../core/plc/verify.js';
import { arg, opt } from '../../flags.js';
import { readJsonArgument } from '../../inputs.js';
import type { Output } from '../../render/output.js';
import { defineCommand } from '../../spec.js';
import { plcDid, showWarnings, waitFor } from './shared.js';

/** Whether the argument names an audit-log file rather than a DID or handle. */
async function isFileArgument(text: string): Promise<boolean> {
  if (text === '-') return true;
  if (text.startsWith('at://') || text.startsWith('did:')) return false;
  const info = await stat(text).catch(() => undefined);
  if (info?.isFile()) return true;
  if (info?.isDirectory()) throw usage('NotAFile', `${text} is a directory, not an audit-log file`);
  if (text.endsWith('.json') || text.includes('/')) throw usage('FileNotFound', `no such audit-log file "${text}"`);
  return false;
}

type Label = (index: number | undefined, cid: string) => string;

function render(out: Output, r: PlcLogReport, operationLabel: Label): string {
  const label = (o: { index: number; cid: string }): string => operationLabel(o.index, o.cid);
  const c = out.c;
  const lines: string[] = [];
  if (r.valid) {
    const head = r.head ? `; head ${label(r.head)}${r.head.tombstoned ? ', a tombstone: the DID is deactivated' : ''}` : '';
    const nullified = r.nullified.length + r.nullifiedOmitted;
    lines.push(`${c.green(`${out.mark('ok')} ${r.did}: the log verifies (${r.operations} operation${r.operations === 1 ? '' : 's'}, ${nullified} nullified)`)}${head}`);
  } else {
    const n = r.problems.length + r.problemsOmitted;
    lines.push(c.red(`${out.mark('fail')} ${r.did}: verification FAILED (${n} problem${n === 1 ? '' : 's'})`));
    for (const p of r.problems) lines.push(`  ${p}`);
    if (r.problemsOmitted > 0) lines.push(`  … and ${r.problemsOmitted} more (all of them with --json)`);
  }
  for (const n of r.nullified) lines.push(`  ${label(n)} is nullified${n.nullifiedBy ? ` by ${label(n.nullifiedBy)}` : ''}`);
  if (r.nullifiedOmitted > 0) lines.push(`  … and ${r.nullifiedOmitted} more nullified`);
  if (r.document?.matches) lines.push(c.green(`${out.mark('ok')} the directory's DID document matches the one the log derives`));
  else if (r.document === null && r.source === 'file') lines.push('(offline: the DID document was not compared with a directory)');
  return lines.join('\n');
}

export default defineCommand({
  args: { log: arg.required('id|audit-log.json', 'did:plc, handle or at:// URI; or an audit-log file ("-" for stdin), checked offline', { valueKind: 'file' }) },
  options: { did: opt.value('--did <did>', 'the DID an audit-log file belongs to (default: the DID of its entries)') },
  uses: ['network'],
  examples: [
    'atcli plc verify alice.example.com',
    'atcli plc verify did:plc:ewvi7nxzyoun6zhxrhs64oiz --json',
    'curl -s https://plc.directory/did:plc:ewvi7nxzyoun6zhxrhs64oiz/log/audit > audit.json && atcli plc verify audit.json',
  ],
  notes:
    'Replays the whole log: CIDs, signatures, the prev chain, rotation-key authority, nullification windows, timestamps and each entry\'s nullified flag. Online it also compares the DID document the log derives with the one the directory serves. Problems show their first 20 and count the rest.\nExit status: 0 the log verifies (and, online, the directory serves the document it derives), 3 it does not (each problem names the operation by index and CID), 4 unknown DID.',
  async run({ args, opts, io, out, err, f }) {
    let report: PlcLogReport;
    if (await isFileArgument(args.log)) {
      const [{ AUDIT_LOG_MAX_BYTES }, { auditLogFromFile, plcLogReport }] = await Promise.all([import('../../../core/plc/directory.js'), import('../../../core/plc/verify.js')]);
      const { did, entries } = auditLogFromFile(await readJsonArgument(io, args.log, 'audit log', AUDIT_LOG_MAX_BYTES), opts.did);
      report = plcLogReport(did, entries);
    } else {
      if (opts.did !== undefined) throw usage('ConflictingArguments', '--did names the DID of an audit-log file; here the argument is the DID');
      const did = await plcDid(f, err, args.log);
      const { verifyAtDirectory } = await import('../../../core/plc/verify.js');
      const client = await f.plc();
      report = await waitFor(err, `fetching the audit log and DID document of ${did}`, () => verifyAtDirectory(client, did));
    }
    showWarnings(err, report.warnings, report.warningsOmitted);
    const { operationLabel } = await import('../../../core/plc/submit.js');
    await out.result(report, (r) => render(out, r, operationLabel));
    return report.valid ? 0 : 3;
  },
});
