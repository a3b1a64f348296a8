import { defineCommand } from '../../spec.js';
import { account, arg, opt } from '../../flags.js';
import { plural } from '../../render/text.js';
import { blobAccount } from './account.js';

const BATCH = 1000;

export default defineCommand({
  description: "Lists an account's blob CIDs with com.atproto.sync.listBlobs on its PDS, page by page.",
  args: { id: arg.requiredParsed('id', 'handle, DID or at:// URI of the account', account) },
  options: { since: opt.value('--since <rev>', 'only blobs added after this repository revision', { valueKind: 'none' }) },
  uses: ['network'],
  examples: ['atcli blob ls alice.example.com', 'atcli blob ls did:plc:ewvi7nxzyoun6zhxrhs64oiz --json | jq -r .cid'],
  notes: 'One CID per line (NDJSON {"cid"} with --json).\nExit status: 0, 4 the account is unknown, 1 the PDS failed.',
  async run({ args, opts, out, err, f }) {
    const { identity, client } = await blobAccount(f, args.id);
    const { listBlobs } = await import('../../../core/blob/index.js');
    let batch: string[][] = [];
    let count = 0;
    const flush = async (): Promise<void> => {
      if (batch.length > 0) await out.text(`${await out.table(batch, count === batch.length ? ['CID'] : undefined)}\n`);
      batch = [];
    };
    for await (const cid of listBlobs(client, identity.did, opts.since !== undefined ? { since: opts.since } : {})) {
      count++;
      if (out.json) await out.ndjson({ cid });
      else if (batch.push([cid]) >= BATCH) await flush();
    }
    await flush();
    err.debug(plural(count, 'blob'));
  },
});
