import { isAtcliError, runtime, usage } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { account, arg, integer, opt } from '../../flags.js';
import { formatBytes, plural, shellWord } from '../../render/text.js';
import { blobAccount } from './account.js';

const DEFAULT_CONCURRENCY = 4;

/** The folder used when none is given (DID colons as underscores, like `repo export`). */
function defaultBlobDir(did: string): string {
  return `${did.replace(/:/g, '_')}-blobs`;
}

export default defineCommand({
  description:
    'Copies every blob of an account into a folder as <dir>/<cid>, with <dir>/<cid>.json holding {mimeType, size}. Blobs already present with the right hash are skipped; a damaged file is fetched again. Only whole blobs whose bytes hash to their CID are ever stored under a CID, so it can be interrupted at any time and run again to continue.',
  args: {
    id: arg.requiredParsed('id', 'handle, DID or at:// URI of the account', account),
    dir: arg.optional('dir', 'destination folder (default: ./<did>-blobs, with ":" written as "_")', { valueKind: 'dir' }),
  },
  options: {
    concurrency: opt.withDefault('--concurrency <n>', 'parallel downloads', DEFAULT_CONCURRENCY, integer({ min: 1, max: 32 }), { valueKind: 'none' }),
    retries: opt.parsed('--retries <n>', 'extra attempts per blob after a transient failure (default 3)', integer({ min: 0, max: 20 }), { valueKind: 'none' }),
  },
  uses: ['network'],
  examples: ['atcli blob sync alice.example.com', 'atcli blob sync alice.example.com ./alice-blobs --concurrency 8', 'atcli blob sync did:plc:… backup/ --json'],
  notes: 'JSON: did, dir, total, downloaded, skipped, failed (cid, error, code), bytes.\nExit status: 0 every blob present and verified, 1 some blobs failed after retries (they are named), 130 interrupted.',
  async run({ args, opts, out, err, f, signal }) {
    const { identity, name, client } = await blobAccount(f, args.id);
    const dir = args.dir ?? defaultBlobDir(identity.did);
    const { stat } = await import('node:fs/promises');
    if ((await stat(dir).catch(() => undefined))?.isDirectory() === false) throw usage('NotADirectory', `${dir} exists and is not a folder`, { hint: 'pass a folder as the second argument' });
    const { BlobStore, syncBlobs } = await import('../../../core/blob/index.js');
    const bar = err.progress(`syncing blobs of ${name} into ${dir}`, 'bytes');
    let result;
    try {
      result = await syncBlobs({
        client,
        did: identity.did,
        store: new BlobStore(dir),
        concurrency: opts.concurrency,
        ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
        signal,
        onProgress: (p) => bar.update(p.bytes, null, `${p.done}/${p.total} blobs${p.failed > 0 ? `, ${p.failed} failed` : ''}`),
      });
    } catch (e) {
      bar.done();
      if (isAtcliError(e) && e.kind === 'interrupted') {
        const d = e.details ?? {};
        const where = typeof d.total === 'number' ? ` after ${String(d.done)} of ${d.total} blobs (${String(d.downloaded)} downloaded this run)` : '';
        const again = ['atcli', 'blob', 'sync', args.id, dir, ...(opts.concurrency !== DEFAULT_CONCURRENCY ? ['--concurrency', String(opts.concurrency)] : [])].map(shellWord).join(' ');
        // Exit 130 prints no error: say where it stopped and how to go on.
        err.warn(`blob sync interrupted${where}; finished blobs are kept in ${dir}, no partial file is left under a CID`);
        err.hint(`resume with: ${again}`);
      }
      throw e;
    }
    bar.done();
    const summary = { did: identity.did, dir, total: result.total, downloaded: result.downloaded, skipped: result.skipped, failed: result.failed, bytes: result.bytes };
    const failed = result.failed.length;
    await out.result(summary, (r) =>
      `${out.mark(failed === 0 ? 'ok' : 'fail')} ${plural(r.total, 'blob')} of ${name} in ${r.dir}: ${r.downloaded} downloaded (${formatBytes(r.bytes)}), ${r.skipped} already present${failed > 0 ? `, ${failed} FAILED` : ', all verified'}`,
    );
    if (failed > 0) {
      throw runtime('BlobSyncIncomplete', `${failed} of ${plural(result.total, 'blob')} failed after retries`, {
        hint: `run the same command again to retry ${failed === 1 ? 'it' : 'them'}; bytes that do not match their CID are never stored`,
        details: { problems: result.failed.map((x) => (x.error.includes(x.cid) ? x.error : `${x.cid}: ${x.error}`)), failed: result.failed.map((x) => x.cid) },
      });
    }
  },
});
