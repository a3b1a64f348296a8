import { child, defineGroup } from '../../spec.js';

export default defineGroup({
  description: "An account's blobs (images, video, any media its records reference), stored on its PDS and named by CID: every byte downloaded is checked against the CID before it is kept.",
  examples: ['atcli blob ls alice.example.com', 'atcli blob sync alice.example.com ./alice-blobs', 'atcli blob compute photo.jpg'],
  commands: {
    ls: child("list an account's blob CIDs", () => import('./ls.js')),
    sync: child('copy every blob of an account into a folder: incremental, verified, atomic, resumable', () => import('./sync.js')),
    get: child('download one blob, verified against its CID, to a file or stdout', () => import('./get.js')),
    upload: child("upload a file as a blob to the logged-in account's PDS and print its blob reference", () => import('./upload.js')),
    compute: child('print the blob reference of a local file (CID, MIME type, size), offline', () => import('./compute.js')),
  },
});
