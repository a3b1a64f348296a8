import { usage } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { account, arg, opt } from '../../flags.js';
import { formatBytes } from '../../render/text.js';
import { blobAccount } from './account.js';

export default defineCommand({
  description: 'Downloads one blob from the account\'s PDS (com.atproto.sync.getBlob). Nothing is written unless the bytes hash to the CID. With --json and no -o, stdout is {cid, mimeType, size, bytes: {$bytes: base64}}.',
  args: {
    id: arg.requiredParsed('id', 'handle, DID or at:// URI of the account', account),
    cid: arg.required('cid', 'the blob CID (CIDv1 raw sha2-256, bafkrei…)'),
  },
  options: {
    output: opt.value('-o, --output <path>', 'write to this file (atomically)', { valueKind: 'file' }),
    force: opt.flag('-f, --force', 'replace an existing file'),
  },
  uses: ['network'],
  examples: ['atcli blob get alice.example.com bafkreib… -o avatar.jpg', 'atcli blob get alice.example.com bafkreib… > avatar.jpg'],
  notes: 'Exit status: 0 verified and written, 3 the bytes do not match the CID (nothing written), 4 no such blob, 2 bad CID, existing file, or binary to a terminal.',
  async run({ args, opts, g, io, out, err, f, signal }) {
    const { blobCid, downloadBlob } = await import('../../../core/blob/index.js');
    let cid;
    try {
      cid = blobCid(args.cid);
    } catch (e) {
      throw usage('InvalidCid', e instanceof Error ? e.message : `"${args.cid}" is not a blob CID`, { hint: 'blob CIDs are CIDv1 raw sha2-256 in base32, e.g. bafkrei…' });
    }
    const { fileExists, writeFileAtomic } = await import('../../../core/util/atomic-file.js');
    if (opts.output !== undefined && !opts.force && (await fileExists(opts.output))) throw usage('FileExists', `${opts.output} already exists`);
    if (opts.output === undefined && !g.json && io.stdoutIsTTY) {
      throw usage('BinaryToTerminal', 'refusing to write a blob to the terminal', { hint: 'write it to a file with -o <path>, or redirect stdout (> file)' });
    }
    const { identity, client } = await blobAccount(f, args.id);
    const { bytes, mimeType } = await downloadBlob(client, identity.did, cid, { signal });
    const base = { cid: cid.toString(), mimeType, size: bytes.byteLength };
    if (opts.output !== undefined) {
      await writeFileAtomic(opts.output, bytes, { overwrite: opts.force, signal });
      return out.result({ ...base, path: opts.output, verified: true }, (r) => `wrote ${r.path}: ${formatBytes(r.size)}, ${r.mimeType}, verified ${out.mark('ok')}`);
    }
    if (g.json) return out.result({ ...base, bytes: { $bytes: Buffer.from(bytes).toString('base64') } }, () => undefined);
    await out.bytes(bytes);
    err.debug(`${formatBytes(bytes.byteLength)} ${mimeType}, verified`);
  },
});
