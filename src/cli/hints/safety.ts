import type { HintTable } from './index.js';

/** Hints for backup, restore, plc watch and plc recover, recovery keys. */
export const SAFETY_HINTS: HintTable = {
  NotABackupFolder: 'give an empty or new folder, or the folder of an earlier "atcli backup create" of the same account',
  NotABackup: 'give the folder "atcli backup create" wrote (it holds backup.json)',
  InvalidBackupManifest: 'move the folder away and take a new backup into an empty one: atcli backup create <id> <dir>',
  BackupDidMismatch: 'this folder holds a backup of another account: give a new folder',
  BackupLocked: 'another atcli is writing into this folder; wait for it to finish',
  BackupDeadline: 'run the same command again: it continues from what was saved',
  TooManyBlobs: 'the host lists more blobs than a backup accepts; check the host',
  InvalidWatchState: 'move the --state file away: the next check reports every operation still in its recovery window',
  RecoveryWindowClosed: 'the 72-hour window is over: the operation can no longer be nullified',
  InsufficientPriority: 'sign with a rotation key listed before the one that signed the unwanted operation (--key-file)',
  KeyNotAuthorized: 'give --key-file with a private key that is one of the rotation keys in force',
  OperationNotFound: 'list the operations and their CIDs with: atcli plc history <did>',
  InvalidRecoveryKey: 'give the public key as did:key (atcli key generate --recovery prints it)',
  KeyFileNotFound: 'give the path of the private key file with --key-file (or --rotation-key-file)',
  InvalidKeyFile: 'the key file must hold a private key as written by atcli key generate --recovery',
  FileExists: 'choose another file name, or move the old file away (a key file is never overwritten)',
};
