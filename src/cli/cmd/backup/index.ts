import { child, defineGroup } from '../../spec.js';

export default defineGroup({
  description:
    'A verified, incremental copy of an account in a private folder: repository (with earlier snapshots), blobs, DID document, PLC audit log and, with a login, preferences. "backup verify" checks a folder offline.',
  examples: ['atcli backup create alice.example.com ./alice-backup', 'atcli backup verify ./alice-backup'],
  notes: 'A group cannot also run a command, so taking a backup is "backup create".',
  commands: {
    create: child('take or update a backup of an account in a folder (only what changed is downloaded)', () => import('./create.js')),
    verify: child('check a backup folder offline: every file, blob hash, the repository and its signature', () => import('./verify.js')),
  },
});
