import { defineCommand } from '../../spec.js';
import { arg, opt } from '../../flags.js';
import { formatBytes } from '../../render/text.js';
import { mimeTypeOption, refJson } from './account.js';

export default defineCommand({
  description:
    "Uploads a file with com.atproto.repo.uploadBlob to the logged-in account's PDS and prints the blob reference it returns, which must name the CID computed locally. Reference it from a record within a few hours: PDSes delete unreferenced uploads.",
  args: { file: arg.required('file', 'the file to upload', { valueKind: 'file' }) },
  options: { mimeType: opt.value('--mime-type <type>', 'Content-Type to declare (default: detected from the first bytes, then the file extension)', { valueKind: 'none' }) },
  uses: ['network', 'auth', 'dryRun'],
  examples: ['atcli blob upload photo.jpg', 'atcli blob upload clip.bin --mime-type video/mp4 --json'],
  notes: 'With --dry-run, prints the reference that would be uploaded.\nExit status: 0, 3 the PDS returned a reference to other bytes, 2 no such file or too large, 5 not logged in.',
  async run({ args, opts, g, out, err, f }) {
    const declared = await mimeTypeOption(opts.mimeType);
    const blob = await import('../../../core/blob/index.js');
    const bytes = await blob.readBlobFile(args.file, blob.DEFAULT_MAX_BLOB_BYTES);
    const mimeType = declared ?? blob.detectMimeType(bytes.subarray(0, 16), args.file);
    if (g.dryRun) {
      const local = blob.blobRefForBytes(bytes, mimeType);
      err.info(`dry run: would upload ${args.file} (${formatBytes(local.size)}, ${mimeType}) as ${local.ref.$link}`);
      return out.result(local, refJson);
    }
    const { client, session } = await f.session();
    const ref = await blob.uploadBlob(client, bytes, mimeType);
    if (ref.mimeType !== mimeType) err.warn(`${new URL(session.pds).host} recorded the MIME type as ${ref.mimeType} (sent ${mimeType})`);
    err.info(`uploaded ${formatBytes(ref.size)} as ${ref.ref.$link}; reference it from a record soon (PDSes delete unreferenced blobs after a few hours)`);
    await out.result(ref, refJson);
  },
});
