import type { HintTable } from './index.js';

/** Hints for backup, restore and key files (a key file is never overwritten). */
export const SAFETY_HINTS: HintTable = {
  NotABackupFolder: 'give an empty or new folder, or the folder of an earlier "atcli backup create" of the same account',
  NotABackup: 'give the folder "atcli backup create" wrote (it holds backup.json)',
  InvalidBackupManifest: 'move the folder away and take a new backup into an empty one: atcli backup create <id> <dir>',
  BackupDidMismatch: 'this folder holds a backup of another account: give a new folder',
  BackupLocked: 'another atcli is writing into this folder; wait for it to finish',
  BackupDeadline: 'run the same command again: it continues from what was saved',
  TooManyBlobs: 'the host lists more blobs than a backup accepts; check the host',
  KeyFileNotFound: 'give the path of the private key file with --key-file (or --rotation-key-file)',
  InvalidKeyFile: 'the key file must hold a private key as written by atcli key generate --recovery',
  FileExists: 'choose another file name, or move the old file away (a key file is never overwritten)',
};
