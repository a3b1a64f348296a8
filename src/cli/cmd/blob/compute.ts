import { defineCommand } from '../../spec.js';
import { arg, opt } from '../../flags.js';
import { formatBytes } from '../../render/text.js';
import { mimeTypeOption, refJson } from './account.js';

export default defineCommand({
  description: 'Computes the blob reference a record would use for a local file: CIDv1 raw sha2-256 of its bytes, its MIME type and size. Nothing is sent anywhere.',
  args: { file: arg.required('file', 'the file', { valueKind: 'file' }) },
  options: { mimeType: opt.value('--mime-type <type>', 'MIME type to record (default: detected from the first bytes, then the file extension)', { valueKind: 'none' }) },
  examples: ['atcli blob compute photo.jpg', 'atcli blob compute data.bin --mime-type application/json'],
  notes: 'Exit status: 0, 2 no such file or a bad MIME type.',
  async run({ args, opts, out, err }) {
    const declared = await mimeTypeOption(opts.mimeType);
    const { blobRefForFile } = await import('../../../core/blob/index.js');
    const ref = await blobRefForFile(args.file, declared !== undefined ? { mimeType: declared } : {});
    err.debug(`${args.file}: ${formatBytes(ref.size)}`);
    await out.result(ref, refJson);
  },
});
