// `<car|id>` arguments: a CAR file on disk, or an account whose repository is streamed from
// its PDS (com.atproto.sync.getRepo). Either way the bytes arrive as a stream.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Context } from './context.js';
import { progressBar } from './progress.js';
import { usage } from '../../core/errors.js';
import { checkAtIdentifier } from '../../core/syntax/index.js';
import { parseDidKey, type PublicKey } from '../../core/crypto/index.js';
import { resolveIdentity, type AtprotoIdentity } from '../../core/identity/index.js';
import { XrpcClient } from '../../core/xrpc/index.js';

export interface RepoSource {
  /** How to name it in messages: the file path or the account. */
  what: string;
  file?: string;
  identity?: AtprotoIdentity;
  /** A fresh stream of the CAR bytes each call. */
  open(): AsyncIterable<Uint8Array>;
}

const FILE_CHUNK = 1 << 20;

export async function* fileChunks(path: string): AsyncIterable<Uint8Array> {
  yield* createReadStream(path, { highWaterMark: FILE_CHUNK }) as AsyncIterable<Buffer>;
}

function looksLikeFile(arg: string): boolean {
  return arg.endsWith('.car') || arg.includes('/') || arg.startsWith('.');
}

export async function resolveAccount(ctx: Context, id: string, opts: { noCache?: boolean } = {}): Promise<AtprotoIdentity> {
  return resolveIdentity(await ctx.identityConfig(), id, opts);
}

/** Streams an account's repository from its PDS, drawing a byte progress bar. */
export async function* downloadRepo(ctx: Context, identity: AtprotoIdentity, label = `downloading ${identity.handle !== 'handle.invalid' ? identity.handle : identity.did}`): AsyncIterable<Uint8Array> {
  if (!identity.pds) throw usage('NoPds', `${identity.did} has no PDS in its DID document`);
  const client = new XrpcClient({ service: identity.pds, http: await ctx.httpConfig() });
  const res = await client.queryStream('com.atproto.sync.getRepo', { did: identity.did });
  const bar = progressBar(ctx, label);
  let done = 0;
  try {
    for await (const chunk of res.body) {
      done += chunk.length;
      bar.update(done, res.contentLength);
      yield chunk;
    }
  } finally {
    bar.done();
  }
}

export async function repoSource(ctx: Context, arg: string): Promise<RepoSource> {
  const info = await stat(arg).catch(() => undefined);
  if (info?.isFile()) return { what: arg, file: arg, open: () => fileChunks(arg) };
  if (info?.isDirectory()) throw usage('NotAFile', `${arg} is a directory, not a CAR file`);
  if (looksLikeFile(arg) && !arg.startsWith('at://')) throw usage('FileNotFound', `no such CAR file "${arg}"`);
  const reason = arg.startsWith('at://') ? null : checkAtIdentifier(arg);
  if (reason) throw usage('InvalidIdentifier', `"${arg}" is neither a CAR file nor an account (${reason})`, { hint: 'pass a path to a .car file, a handle, or a DID' });
  const identity = await resolveAccount(ctx, arg);
  return { what: identity.handle !== 'handle.invalid' ? identity.handle : identity.did, identity, open: () => downloadRepo(ctx, identity) };
}

/** The signing key to check commits with: --key, else the account's DID document (refetched when asked). */
export function keyResolver(ctx: Context, keyFlag: string | undefined, known?: AtprotoIdentity): (did: string, opts: { fresh: boolean }) => Promise<PublicKey | undefined> {
  if (keyFlag) {
    const key = parseDidKey(keyFlag);
    return async () => key;
  }
  return async (did, { fresh }) => {
    const identity = !fresh && known?.did === did ? known : await resolveAccount(ctx, did, { noCache: fresh });
    return identity.signingKey ? parseDidKey(identity.signingKey) : undefined;
  };
}
