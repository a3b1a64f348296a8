import { child, defineGroup } from '../../spec.js';

export default defineGroup({
  description: 'A repository is given as a CAR file ("-" for stdin) or as an account (handle or DID), whose repository is downloaded from its PDS.',
  examples: ['atcli repo verify alice.example.com', 'atcli repo export alice.example.com -o alice.car', 'atcli repo ls alice.car -c app.bsky.feed.post'],
  commands: {
    verify: child('full self-authentication: CAR, every block hash, commit and signature, MST structure, every record', () => import('./verify.js')),
    export: child("download an account's repository to a CAR file (atomic write), then verify it", () => import('./export.js')),
    inspect: child('summary of a repository: commit, MST root, record counts per collection', () => import('./inspect.js')),
    ls: child('list record paths with their CIDs (NDJSON rows collection, rkey, cid with --json)', () => import('./ls.js')),
    mst: child('print the Merkle Search Tree: nodes by layer, entries, missing blocks', () => import('./mst.js')),
    unpack: child('write one JSON file per record: <folder>/<collection>/<rkey>.json', () => import('./unpack.js')),
    diff: child('records created, updated and deleted between two snapshots (NDJSON rows op, collection, rkey, cid, prev)', () => import('./diff.js')),
    import: child("upload a verified CAR to the logged-in account's PDS (com.atproto.repo.importRepo)", () => import('./import.js')),
  },
});
