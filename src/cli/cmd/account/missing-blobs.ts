import { defineCommand } from '../../spec.js';
import { plural } from '../../render/text.js';

export default defineCommand({
  description: "Lists com.atproto.repo.listMissingBlobs of the logged-in account: blobs its records reference that its PDS does not hold (after a repository import, until the blobs are uploaded).",
  uses: ['network', 'auth'],
  examples: ['atcli account missing-blobs', 'atcli account missing-blobs --json | jq -r .cid'],
  notes: 'One row per blob reference: CID and record URI (tab-separated when piped; NDJSON {"cid","recordUri"} with --json). Empty after a complete migration.\nExit status: 0, 5 not logged in.',
  async run({ out, err, f }) {
    const { client } = await f.session();
    const { listMissingBlobs } = await import('../../../core/account/admin.js');
    const rows: string[][] = [];
    let count = 0;
    for await (const b of listMissingBlobs(client)) {
      count++;
      if (out.json) await out.ndjson(b);
      else rows.push([b.cid, b.recordUri]);
    }
    if (rows.length > 0) await out.text(`${await out.table(rows, ['CID', 'RECORD'])}\n`);
    err.info(count === 0 ? 'no blobs are missing' : plural(count, 'missing blob reference'));
  },
});
