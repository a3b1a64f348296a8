import { EXIT_CODES } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { arg } from '../../flags.js';
import { renderChecks } from '../../render/checks.js';
import { plural } from '../../render/text.js';

export default defineCommand({
  description:
    "Checks a backup folder without the network: every file the manifest names is there with its size and hash, every blob's bytes hash to its CID, the saved repository's blocks, tree and records, its signature against the keys saved with the backup, the PLC audit log, and the folder's permissions.",
  args: { dir: arg.required('dir', 'the backup folder', { valueKind: 'dir' }) },
  examples: ['atcli backup verify ./alice-backup', 'atcli backup verify /srv/backups/alice --json'],
  notes:
    'JSON: status (valid|invalid|unchecked), valid, reason, dir, did, handle, rev, checks (name, status, detail), missing, damaged (file, reason), more, unexpected, repo, blobs, auditLog, errors, warnings.\n' +
    'Exit status: 0 valid, 3 invalid (the missing and damaged files are named), 1 could not check (JSON status "unchecked" with the reason), 2 not a backup folder.',
  async run({ args, out, err }) {
    const { verifyBackup } = await import('../../../core/backup/index.js');
    const bar = err.progress(`verifying the backup in ${args.dir}`, 'items');
    let report;
    try {
      report = await verifyBackup(args.dir, { onProgress: (p) => bar.update(p.done, p.total, p.phase) });
    } finally {
      bar.done();
    }
    const r = report;
    await out.result(r, async () => {
      const c = out.c;
      const lines = [await renderChecks(r.checks, c)];
      for (const m of r.missing) lines.push(`  missing: ${m}`);
      for (const d of r.damaged) lines.push(`  damaged: ${d.file} (${d.reason})`);
      if (r.more.missing + r.more.damaged > 0) lines.push(`  and ${r.more.missing} more missing, ${r.more.damaged} more damaged`);
      const subject = `backup of ${r.handle || r.did} in ${r.dir}`;
      lines.push(
        r.status === 'valid'
          ? c.green(`${subject} is valid: ${plural(r.repo.records, 'record')}, ${plural(r.blobs.checked, 'blob')}, rev ${r.rev}, taken ${r.takenAt}`)
          : r.status === 'invalid'
            ? c.red(`${subject} is INVALID: ${plural(r.missing.length + r.more.missing, 'file')} missing, ${r.damaged.length + r.more.damaged} damaged`)
            : c.yellow(`${subject} could NOT be checked: ${r.reason}`),
      );
      return lines.join('\n');
    });
    for (const w of r.warnings) err.warn(w);
    if (r.unexpected.length > 0) err.warn(`files the manifest does not name: ${r.unexpected.slice(0, 10).join(', ')}${r.unexpected.length > 10 ? ', …' : ''}`);
    if (r.status === 'invalid') err.hint(`run "atcli backup create ${r.did} ${r.dir}" to fetch the damaged and missing files again`);
    return r.status === 'valid' ? 0 : r.status === 'invalid' ? EXIT_CODES.invalid : EXIT_CODES.runtime;
  },
});
