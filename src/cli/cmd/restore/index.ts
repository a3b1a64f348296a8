import { isAtcliError, usage } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { arg, handle, integer, opt, serviceUrl } from '../../flags.js';
import { loadPrivateKey } from '../../inputs.js';
import { withCompleteHint } from '../../hints/index.js';
import { shellWord } from '../../render/text.js';
import { defaultStatePath } from '../account/migrate.js';
import { newAccountPassword } from '../account/inputs.js';
import { renderRestore, restoreEvents } from './view.js';

const ROTATION_KEY_ENV = 'ATCLI_ROTATION_KEY';

export default defineCommand({
  description:
    "Recreates an account from its backup on a new PDS when the old one is gone, with a rotation key you hold: your key points the DID at the new host with a signing key you hold, the account is created there (deactivated) and filled from the backup (repository, blobs, preferences), checked, then the identity is handed to the new host and the account activated. Every step is journalled in a state file; an interrupted or failed run continues with --resume and repeats nothing.",
  args: { dir: arg.required('dir', 'the backup folder ("atcli backup create" wrote it)', { valueKind: 'dir' }) },
  options: {
    to: opt.parsed('--to <pds-url>', 'the new PDS (required unless --resume)', serviceUrl(['http:', 'https:']), { valueKind: 'none' }),
    rotationKeyFile: opt.value('--rotation-key-file <path>', `your private rotation key of the DID (or ${ROTATION_KEY_ENV}, or a hidden prompt)`, { valueKind: 'file', env: ROTATION_KEY_ENV }),
    signingKeyFile: opt.value('--signing-key-file <path>', 'the signing key you hold for the take-over: read if it exists, else generated into it (0600; default beside the state file)', { valueKind: 'file' }),
    newHandle: opt.parsed('--new-handle <handle>', "the account's handle on the new host (default: the backup's)", handle, { valueKind: 'none' }),
    newEmail: opt.value('--new-email <address>', "the new account's e-mail address (required to create it)", { valueKind: 'none' }),
    inviteCode: opt.value('--invite-code <code>', 'an invite code of the new host, when it requires one', { valueKind: 'none' }),
    dropRotationKey: opt.list('--drop-rotation-key <did:key>', 'a rotation key to remove in the hand-over, e.g. the old host\'s (repeatable)', { valueKind: 'none' }),
    stateFile: opt.value('--state-file <path>', 'the state file (default $XDG_STATE_HOME/atcli/restore-<did>.json)', { valueKind: 'file' }),
    resume: opt.flag('--resume', 'continue the restore recorded in the state file'),
    concurrency: opt.parsed('--concurrency <n>', 'parallel blob uploads (default 4)', integer({ min: 1, max: 16 }), { valueKind: 'none' }),
  },
  uses: ['network', 'dryRun', 'yes'],
  examples: [
    'atcli restore ./alice-backup --to https://new-pds.example --new-email alice@example.com --rotation-key-file /media/usb/recovery.key --dry-run',
    'atcli restore ./alice-backup --to https://new-pds.example --new-email alice@example.com --rotation-key-file /media/usb/recovery.key',
    'atcli restore ./alice-backup --resume --rotation-key-file /media/usb/recovery.key --yes',
  ],
  notes:
    `The new account's password comes from ATCLI_NEW_PASSWORD or a hidden prompt; the rotation key from --rotation-key-file, ${ROTATION_KEY_ENV} or a hidden prompt, never from the command line. --dry-run checks everything (backup verdict, your key's place in the rotation keys, the new host) and shows the plan and the first identity update exactly; nothing is written. The two identity updates are irreversible and each is shown and confirmed (--yes confirms; without a terminal --yes is required).\n` +
    'JSON: status (dry-run|completed), did, newPds, newHandle, stateFile, backupDir, plan (index, name, title, status), signingKey (publicKey, file, generated), ok and preflight (dry run), takeOver, handOver, report (records, blobs, preferences, identity, active).\n' +
    'Exit status: 0 restored (or a dry run whose checks pass), 1 a step failed or a dry run found a problem (resume after fixing it), 2 usage or not confirmed, 3 the backup or the identity does not verify, 130 interrupted (resume).',
  async run({ args, opts, g, io, out, err, f, prompt, signal }) {
    if (!opts.resume && opts.to === undefined) throw usage('MissingOption', '--to <pds-url> is required (unless --resume)');
    const [{ restoreAccount, restoreJournalFileName }, { readManifest }] = await Promise.all([import('../../../core/account/restore/index.js'), import('../../../core/backup/index.js')]);
    const manifest = await readManifest(args.dir);
    if (manifest === null) throw usage('NotABackup', `${args.dir} is not an atcli backup`);
    const stateFile = opts.stateFile ?? defaultStatePath(io.env, restoreJournalFileName(manifest.did));
    const signingKeyFile = opts.signingKeyFile ?? stateFile.replace(/\.json$/, '') + '.signing.key';
    const rotationKey = await loadPrivateKey(io, prompt, { file: opts.rotationKeyFile, envName: ROTATION_KEY_ENV, promptMessage: `Private rotation key of ${manifest.did}` });
    const progress = restoreEvents(err);
    let password: Promise<string> | undefined;
    const again = ['atcli', 'restore', args.dir, '--resume', ...(opts.stateFile !== undefined ? ['--state-file', opts.stateFile] : []), ...(opts.rotationKeyFile !== undefined ? ['--rotation-key-file', opts.rotationKeyFile] : [])].map(shellWord).join(' ');
    if (!g.dryRun) err.info(`state file: ${stateFile}`);
    let result;
    try {
      result = await restoreAccount({
        http: await f.http(),
        identity: await f.identity(),
        dev: g.dev,
        backupDir: args.dir,
        journalPath: stateFile,
        ...(opts.to !== undefined ? { to: opts.to } : {}),
        ...(opts.newHandle !== undefined ? { newHandle: opts.newHandle } : {}),
        ...(opts.newEmail !== undefined ? { newEmail: opts.newEmail } : {}),
        ...(opts.inviteCode !== undefined ? { inviteCode: opts.inviteCode } : {}),
        rotationKey: rotationKey!,
        signingKey: { file: signingKeyFile },
        dropRotationKeys: opts.dropRotationKey,
        dryRun: g.dryRun,
        resume: opts.resume,
        ...(opts.concurrency !== undefined ? { blobConcurrency: opts.concurrency } : {}),
        signal,
        callbacks: {
          newPassword: () => (password ??= newAccountPassword(io, prompt, `the new account on ${new URL(opts.to ?? 'http://the-new-host').host}`, !opts.resume)),
          confirm: async (c) => {
            progress.close();
            err.info(`${c.title} — IRREVERSIBLE: ${c.did} on ${c.newPds}`);
            for (const line of c.changes) err.info(`  ${line}`);
            for (const w of c.warnings) err.warn(w);
            return prompt.confirm(`${c.title}: sign and submit this identity update of ${c.did}?`);
          },
          event: (e) => progress.event(e),
        },
      });
    } catch (e) {
      progress.close();
      if (isAtcliError(e) && !g.dryRun && e.kind !== 'usage') throw withCompleteHint(e, `${e.hint ? `${e.hint}; ` : ''}continue with: ${again}`);
      throw e;
    }
    progress.close();
    await out.result(result, (r) => renderRestore(out, r));
    if (result.status === 'dry-run' && result.ok === false) return 1;
  },
});
