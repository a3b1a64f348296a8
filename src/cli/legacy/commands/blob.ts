// `atcli blob …`: list, sync, get, upload and compute blobs. Thin: parse, call core/blob, render.
import { readFile, stat } from 'node:fs/promises';
import type { CommandRun } from '../program.js';
import type { Context } from '../context.js';
import { ndjsonLine, printError, printResult, writeStdout } from '../output.js';
import { formatBytes, progressBar } from '../progress.js';
import { resolveAccount } from '../repo-source.js';
import { openSession } from '../session.js';
import { AtcliError, isAtcliError, runtime, usage } from '../../../core/errors.js';
import type { AtprotoIdentity } from '../../../core/identity/index.js';
import { XrpcClient } from '../../../core/xrpc/index.js';
import { fileExists, writeFileAtomic } from '../../../core/util/atomic-file.js';
import {
  BlobStore,
  DEFAULT_MAX_BLOB_BYTES,
  DEFAULT_SYNC_CONCURRENCY,
  blobCid,
  blobRefForBytes,
  blobRefForFile,
  checkMimeType,
  detectMimeType,
  downloadBlob,
  listBlobs,
  syncBlobs,
  uploadBlob,
  type BlobRef,
} from '../../../core/blob/index.js';
import type { Cid } from '../../../core/codec/index.js';

const MAX_CONCURRENCY = 32;

function intOption(flag: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usage('InvalidOption', `${flag} must be a whole number from ${min} to ${max}, got "${String(value)}"`);
  }
  return n;
}

function accountName(identity: AtprotoIdentity): string {
  return identity.handle !== 'handle.invalid' ? identity.handle : identity.did;
}

async function pdsClient(ctx: Context, id: string): Promise<{ identity: AtprotoIdentity; client: XrpcClient }> {
  const identity = await resolveAccount(ctx, id);
  if (!identity.pds) throw usage('NoPds', `${identity.did} has no PDS in its DID document`, { hint: 'check the DID document with: atcli resolve ' + id });
  return { identity, client: new XrpcClient({ service: identity.pds, http: await ctx.httpConfig() }) };
}

function cidArgument(arg: string): Cid {
  try {
    return blobCid(arg);
  } catch (err) {
    throw usage('InvalidCid', isAtcliError(err) ? err.message : `"${arg}" is not a blob CID`, { hint: 'blob CIDs are CIDv1 raw sha2-256 in base32, e.g. bafkrei…' });
  }
}

function mimeOption(opts: Record<string, unknown>): string | undefined {
  return typeof opts.mimeType === 'string' ? checkMimeType(opts.mimeType) : undefined;
}

/** The folder `blob sync` uses when none is given (DID colons as underscores, like `repo export`). */
export function defaultBlobDir(did: string): string {
  return `${did.replace(/:/g, '_')}-blobs`;
}

function quoteArg(s: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export async function blobLsCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const { identity, client } = await pdsClient(ctx, args[0] as string);
  const since = typeof opts.since === 'string' ? opts.since : undefined;
  let batch = '';
  let count = 0;
  for await (const cid of listBlobs(client, identity.did, since !== undefined ? { since } : {})) {
    batch += ctx.json ? ndjsonLine({ cid }) : `${cid}\n`;
    count++;
    if (batch.length > 32_768) {
      await writeStdout(batch);
      batch = '';
    }
  }
  if (batch !== '') await writeStdout(batch);
  ctx.debug(`${count} blob${count === 1 ? '' : 's'}`);
}

export async function blobSyncCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const id = args[0] as string;
  const concurrency = intOption('--concurrency', opts.concurrency, 1, MAX_CONCURRENCY) ?? DEFAULT_SYNC_CONCURRENCY;
  const retries = intOption('--retries', opts.retries, 0, 20);
  const { identity, client } = await pdsClient(ctx, id);
  const dir = (args[1] as string | undefined) ?? defaultBlobDir(identity.did);
  const info = await stat(dir).catch(() => undefined);
  if (info && !info.isDirectory()) throw usage('NotADirectory', `${dir} exists and is not a folder`, { hint: 'pass a folder as the second argument' });
  const store = new BlobStore(dir);
  const bar = progressBar(ctx, `syncing blobs of ${accountName(identity)} into ${dir}`, 'bytes');
  let result;
  try {
    result = await syncBlobs({
      client,
      did: identity.did,
      store,
      concurrency,
      ...(retries !== undefined ? { retries } : {}),
      signal: ctx.signal,
      onProgress: (p) => bar.update(p.bytes, null, `${p.done}/${p.total} blobs${p.failed > 0 ? `, ${p.failed} failed` : ''}`),
    });
  } catch (err) {
    bar.done();
    if (isAtcliError(err) && err.kind === 'interrupted') {
      const d = err.details ?? {};
      const progress = typeof d.total === 'number' ? ` after ${String(d.done)} of ${d.total} blobs (${String(d.downloaded)} downloaded this run)` : '';
      const again = ['atcli', 'blob', 'sync', id, dir, ...(opts.concurrency !== undefined ? ['--concurrency', String(concurrency)] : [])].map(quoteArg).join(' ');
      printError(
        ctx,
        new AtcliError('interrupted', 'Interrupted', `blob sync interrupted${progress}; finished blobs are kept in ${dir}, no partial file is left under a CID`, {
          hint: `resume with: ${again}`,
        }),
      );
    }
    throw err;
  }
  bar.done();
  const out = { did: identity.did, dir, total: result.total, downloaded: result.downloaded, skipped: result.skipped, failed: result.failed, bytes: result.bytes };
  await printResult(
    ctx,
    out,
    (r) =>
      `${r.failed.length === 0 ? '✓' : '✗'} ${r.total} blob${r.total === 1 ? '' : 's'} of ${accountName(identity)} in ${r.dir}: ${r.downloaded} downloaded (${formatBytes(r.bytes)}), ${r.skipped} already present${r.failed.length > 0 ? `, ${r.failed.length} FAILED` : ', all verified'}`,
  );
  if (result.failed.length > 0) {
    const n = result.failed.length;
    throw runtime('BlobSyncIncomplete', `${n} of ${result.total} blob${result.total === 1 ? '' : 's'} failed after retries`, {
      hint: `run the same command again to retry ${n === 1 ? 'it' : 'them'}; bytes that do not match their CID are never stored`,
      details: { problems: result.failed.map((f) => (f.error.includes(f.cid) ? f.error : `${f.cid}: ${f.error}`)), failed: result.failed.map((f) => f.cid) },
    });
  }
}

function writeBinaryStdout(bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(bytes, (err) => (err ? reject(err) : resolve()));
  });
}

export async function blobGetCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const cid = cidArgument(args[1] as string);
  const output = opts.output as string | undefined;
  const force = opts.force === true;
  if (output !== undefined && !force && (await fileExists(output))) {
    throw usage('FileExists', `${output} already exists`, { hint: 'choose another path with -o, or pass --force to replace it' });
  }
  if (output === undefined && !ctx.json && ctx.stdoutIsTTY) {
    throw usage('BinaryToTerminal', 'refusing to write a blob to the terminal', { hint: 'write it to a file with -o <file>, or redirect stdout (> file)' });
  }
  const { identity, client } = await pdsClient(ctx, args[0] as string);
  const { bytes, mimeType } = await downloadBlob(client, identity.did, cid, { signal: ctx.signal });
  const base = { cid: cid.toString(), mimeType, size: bytes.byteLength };
  if (output !== undefined) {
    await writeFileAtomic(output, bytes, { overwrite: force, signal: ctx.signal });
    await printResult(ctx, { ...base, path: output, verified: true }, (r) => `wrote ${r.path}: ${formatBytes(r.size)}, ${r.mimeType}, verified ✓`);
    return;
  }
  if (ctx.json) {
    await printResult(ctx, { ...base, bytes: { $bytes: Buffer.from(bytes).toString('base64') } }, () => undefined);
    return;
  }
  await writeBinaryStdout(bytes);
  ctx.debug(`${formatBytes(bytes.byteLength)} ${mimeType}, verified`);
}

async function readUpload(file: string): Promise<Uint8Array> {
  const info = await stat(file).catch(() => undefined);
  if (!info) throw usage('FileNotFound', `no such file "${file}"`);
  if (!info.isFile()) throw usage('NotAFile', `${file} is not a regular file`);
  if (info.size > DEFAULT_MAX_BLOB_BYTES) throw usage('FileTooLarge', `${file} is larger than ${formatBytes(DEFAULT_MAX_BLOB_BYTES)}`);
  try {
    return new Uint8Array(await readFile(file));
  } catch (err) {
    throw runtime('ReadFailed', `could not read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
}

function refJson(ref: BlobRef): string {
  return `${JSON.stringify(ref, null, 2)}\n`;
}

export async function blobUploadCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const file = args[0] as string;
  const declared = mimeOption(opts);
  const bytes = await readUpload(file);
  const mimeType = declared ?? detectMimeType(bytes.subarray(0, 16), file);
  const local = blobRefForBytes(bytes, mimeType);
  if (ctx.dryRun) {
    ctx.info(`dry run: would upload ${file} (${formatBytes(local.size)}, ${mimeType}) as ${local.ref.$link}`);
    await writeStdout(refJson(local));
    return;
  }
  const { client, session } = await openSession(ctx);
  const ref = await uploadBlob(client, bytes, mimeType);
  if (ref.mimeType !== mimeType) ctx.warn(`${new URL(session.pds).host} recorded the MIME type as ${ref.mimeType} (sent ${mimeType})`);
  ctx.info(`uploaded ${formatBytes(ref.size)} as ${ref.ref.$link}; reference it from a record soon (PDSes delete unreferenced blobs after a few hours)`);
  await writeStdout(refJson(ref));
}

export async function blobComputeCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const declared = mimeOption(opts);
  const ref = await blobRefForFile(args[0] as string, declared !== undefined ? { mimeType: declared } : {});
  ctx.debug(`${args[0] as string}: ${formatBytes(ref.size)}`);
  await writeStdout(refJson(ref));
}
