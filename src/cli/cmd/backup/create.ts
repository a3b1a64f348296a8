import { EXIT_CODES } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { account, arg, integer, opt } from '../../flags.js';
import type { ProgressBar } from '../../render/stderr.js';
import { capped, formatBytes, plural } from '../../render/text.js';
import type { BackupProgress } from '../../../core/backup/index.js';

const PHASES: Record<BackupProgress['phase'], string> = {
  identity: 'identity',
  repo: 'repository',
  verify: 'verifying the repository',
  blobs: 'blobs',
  preferences: 'preferences',
  manifest: 'manifest',
};

function showProgress(bar: ProgressBar, p: BackupProgress): void {
  if (p.phase === 'repo') bar.update(p.done, p.total, `repository (${p.what === 'diff' ? 'changes since the last backup' : 'full'})`);
  else if (p.phase === 'blobs') bar.update(p.progress.bytes, null, `${p.progress.done}/${p.progress.total} blobs${p.progress.failed > 0 ? `, ${p.progress.failed} failed` : ''}`);
  else bar.update(0, null, PHASES[p.phase]);
}

export default defineCommand({
  description:
    'Takes a backup of an account into a folder (0700, files 0600), or brings an existing backup up to date: the repository is verified before it replaces the saved one (a diff since the last backup where the host serves one), blobs already saved are reused, the DID document and the PLC audit log are saved, and with --preferences the private preferences too.',
  args: {
    id: arg.requiredParsed('id', 'handle or DID of the account', account),
    dir: arg.required('dir', 'the backup folder (empty or new, or an earlier backup of the same account)', { valueKind: 'dir' }),
  },
  options: {
    keep: opt.parsed('--keep <n>', 'earlier repository snapshots to keep beside the current one (default 0)', integer({ min: 0, max: 1000 }), { valueKind: 'none' }),
    preferences: opt.flag('--preferences', "also save the account's private preferences (needs the login of this account: --profile or ATCLI_IDENTIFIER + ATCLI_PASSWORD)"),
    concurrency: opt.parsed('--concurrency <n>', 'parallel blob downloads (default 4)', integer({ min: 1, max: 32 }), { valueKind: 'none' }),
  },
  uses: ['network', 'auth'],
  examples: ['atcli backup create alice.example.com ./alice-backup', 'atcli backup create alice.example.com ./alice-backup --keep 7 --preferences', 'atcli backup create did:plc:… /srv/backups/alice --json'],
  notes:
    'Run it again on the same folder to update it: only what changed is downloaded. A blob that cannot be downloaded is named and the run is partial; the next run tries it again.\n' +
    'JSON: status (complete|partial), dir, manifest, did, handle, pds, repo (via, rev, records, signature…), blobs (total, downloaded, reused, failed…), preferences, identity, snapshots, warnings.\n' +
    'Exit status: 0 complete, 1 partial (blobs missing) or could not back up, 2 the folder is not empty and not a backup, 3 the repository does not verify, 4 account not found, 130 interrupted.',
  async run({ args, opts, out, err, f, signal }) {
    const { runBackup } = await import('../../../core/backup/index.js');
    const session = opts.preferences ? (await f.session()).client : undefined;
    const bar = err.progress(`backing up ${args.id} into ${args.dir}`, 'bytes');
    let result;
    try {
      result = await runBackup({
        http: await f.http(),
        identity: await f.identity(),
        id: args.id,
        dir: args.dir,
        ...(opts.keep !== undefined ? { keep: opts.keep } : {}),
        ...(session !== undefined ? { session } : {}),
        ...(opts.concurrency !== undefined ? { blobConcurrency: opts.concurrency } : {}),
        signal,
        onProgress: (p) => showProgress(bar, p),
      });
    } finally {
      bar.done();
    }
    const r = result;
    await out.result(r, () =>
      out.fields([
        ['backup', `${out.mark(r.status === 'complete' ? 'ok' : 'fail')} ${r.status} in ${r.dir}`],
        ['account', `${r.handle} (${r.did}) on ${r.pds}`],
        ['repository', `rev ${r.repo.rev}, ${plural(r.repo.records, 'record')} (${r.repo.via}, ${formatBytes(r.repo.downloadedBytes)} downloaded), signature ${r.repo.signature.status}`],
        ['blobs', `${r.blobs.total}: ${r.blobs.downloaded} downloaded (${formatBytes(r.blobs.downloadedBytes)}), ${r.blobs.reused} reused${r.blobs.failed.length > 0 ? `, ${r.blobs.failed.length} FAILED` : ''}`],
        ['preferences', r.preferences.saved ? `${r.preferences.count ?? 0} saved` : r.preferences.note],
        ['snapshots', r.snapshots.kept.length > 0 ? r.snapshots.kept.join(', ') : 'none kept'],
      ]),
    );
    for (const w of r.warnings) err.warn(w);
    if (r.status === 'partial') {
      const { shown, more } = capped(r.blobs.failed, 10);
      for (const b of shown) err.warn(`blob ${b.cid} not saved: ${b.error}`);
      if (more > 0) err.warn(`and ${plural(more, 'more blob')}`);
      err.hint('run the same command again to fetch what is missing');
      return EXIT_CODES.runtime;
    }
    return 0;
  },
});
