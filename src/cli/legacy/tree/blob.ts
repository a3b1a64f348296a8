// The `blob` command group: ls, sync, get, upload, compute.
// Names, arguments, options and help only; handlers load lazily from ../commands/blob.js.
import type { Command } from 'commander';
import { examples, type Act } from '../program.js';

export function registerBlobCommands(blob: Command, act: Act): void {
  blob
    .command('ls')
    .description("list an account's blob CIDs (com.atproto.sync.listBlobs; NDJSON rows cid with --json)")
    .argument('<id>', 'handle, DID or at:// URI of the account')
    .option('--since <rev>', 'only blobs added after this repository revision')
    .addHelpText('after', examples(['atcli blob ls alice.example.com', 'atcli blob ls did:plc:ewvi7nxzyoun6zhxrhs64oiz --json | jq -r .cid']))
    .action(act(async () => (await import('../commands/blob.js')).blobLsCommand));

  blob
    .command('sync')
    .description("copy every blob of an account into a folder: incremental, each verified against its CID, atomic, resumable")
    .argument('<id>', 'handle, DID or at:// URI of the account')
    .argument('[dir]', 'destination folder (default: ./<did>-blobs, with ":" written as "_")')
    .option('--concurrency <n>', 'parallel downloads (1–32, default 4)')
    .option('--retries <n>', 'extra attempts per blob after a transient failure (default 3)')
    .addHelpText(
      'after',
      `${examples(['atcli blob sync alice.example.com', 'atcli blob sync alice.example.com ./alice-blobs --concurrency 8', 'atcli blob sync did:plc:… backup/ --json'])}
Each blob is stored as <dir>/<cid>, with <dir>/<cid>.json holding {mimeType, size}. Blobs already
present with the right hash are skipped; a damaged file is fetched again. Interrupt at any time:
only whole, verified blobs are ever stored under a CID, and running the same command continues.
Exit status: 0 every blob present and verified, 1 some blobs failed after retries (they are named), 130 interrupted.`,
    )
    .action(act(async () => (await import('../commands/blob.js')).blobSyncCommand));

  blob
    .command('get')
    .description('download one blob, verified against its CID, to a file or (when not a terminal) stdout')
    .argument('<id>', 'handle, DID or at:// URI of the account')
    .argument('<cid>', 'the blob CID (CIDv1 raw sha2-256, bafkrei…)')
    .option('-o, --output <file>', 'write to this file (atomically)')
    .option('-f, --force', 'replace an existing file')
    .addHelpText(
      'after',
      `${examples(['atcli blob get alice.example.com bafkreib… -o avatar.jpg', 'atcli blob get alice.example.com bafkreib… > avatar.jpg'])}
Nothing is written unless the bytes hash to the CID (exit 3 otherwise). With --json and no -o, stdout
is {cid, mimeType, size, bytes: {$bytes: base64}}.`,
    )
    .action(act(async () => (await import('../commands/blob.js')).blobGetCommand));

  blob
    .command('upload')
    .description("upload a file as a blob to the logged-in account's PDS and print its blob reference")
    .argument('<file>', 'the file to upload')
    .option('--mime-type <type>', 'Content-Type to declare (default: detected from the first bytes, then the file extension)')
    .addHelpText(
      'after',
      `${examples(['atcli blob upload photo.jpg', 'atcli blob upload clip.bin --mime-type video/mp4 --json'])}
The reference returned by the PDS must name the CID computed locally (exit 3 otherwise). With
--dry-run, prints the reference that would be uploaded. Reference a blob from a record within a few
hours: PDSes delete unreferenced uploads.`,
    )
    .action(act(async () => (await import('../commands/blob.js')).blobUploadCommand));

  blob
    .command('compute')
    .description('print the blob reference of a local file (CID, MIME type, size), offline')
    .argument('<file>', 'the file')
    .option('--mime-type <type>', 'MIME type to record (default: detected from the first bytes, then the file extension)')
    .addHelpText('after', examples(['atcli blob compute photo.jpg', 'atcli blob compute data.bin --mime-type application/json']))
    .action(act(async () => (await import('../commands/blob.js')).blobComputeCommand));
}
