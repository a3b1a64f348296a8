// `<car|id>` arguments: a CAR file (a regular file, a device or a pipe), "-" for stdin, or an
// account whose repository is streamed from its PDS (com.atproto.sync.getRepo). Either way the
// bytes arrive as a stream; core judges them (an empty file is an invalid CAR, not a missing one).
import { notFound, usage } from '../core/errors.js';
import type { RepoLimits } from '../core/repo/reach.js';
import { byteSize, integer, opt } from './flags.js';
import type { AtprotoIdentity } from '../core/identity/index.js';
import type { XrpcClient } from '../core/xrpc/index.js';
import type { Factory } from './factory.js';
import type { IO } from './io.js';
import type { StderrWriter } from './render/stderr.js';

export interface RepoSource {
  /** How to name it in messages: the file path, "stdin", or the account's handle (else DID). */
  what: string;
  /** The path, when it is a file. */
  file?: string;
  /** Length in bytes when known (a regular file), for progress bars. */
  size: number | null;
  /** The account, when the repository is downloaded. */
  identity?: AtprotoIdentity;
  /** A stream of the CAR bytes (a fresh one each call; stdin can be read once). */
  open(): AsyncIterable<Uint8Array>;
}

export interface SourceContext {
  io: IO;
  f: Factory;
  err: StderrWriter;
}

/** An account's name for people: its verified handle, else its DID. */
export function accountName(identity: AtprotoIdentity): string {
  return identity.handle !== 'handle.invalid' ? identity.handle : identity.did;
}

/** The account's PDS as an XRPC client; notFound 'NoPds' when its DID document names none. */
export async function pdsClient(f: Factory, identity: AtprotoIdentity): Promise<XrpcClient> {
  if (!identity.pds) throw notFound('NoPds', `${identity.did} has no PDS in its DID document`, { hint: 'the account may have been deleted or never set up' });
  return f.xrpc(identity.pds);
}

/** Flags that raise the limits on a downloaded repository (docs/repo-limits.md). */
export const repoLimitOptions = {
  maxRepoBytes: opt.parsed('--max-repo-bytes <size>', 'largest repository download (default 8GiB)', byteSize()),
  maxRepoBlocks: opt.parsed('--max-repo-blocks <n>', 'most blocks in a repository (default 32000000)', integer({ min: 1 })),
  maxUnreferencedBytes: opt.parsed('--max-unreferenced-bytes <size>', 'most bytes of blocks the commit does not reach (default 256MiB)', byteSize()),
  maxUnreferencedBlocks: opt.parsed('--max-unreferenced-blocks <n>', 'most blocks the commit does not reach (default 1000000)', integer({ min: 1 })),
};

/** The limits given with {@link repoLimitOptions}; absent ones keep their defaults. */
export function repoLimits(opts: { maxRepoBytes: number | undefined; maxRepoBlocks: number | undefined; maxUnreferencedBytes: number | undefined; maxUnreferencedBlocks: number | undefined }): Partial<RepoLimits> {
  const limits: Partial<RepoLimits> = {};
  if (opts.maxRepoBytes !== undefined) limits.maxBytes = opts.maxRepoBytes;
  if (opts.maxRepoBlocks !== undefined) limits.maxBlocks = opts.maxRepoBlocks;
  if (opts.maxUnreferencedBytes !== undefined) limits.maxUnreferencedBytes = opts.maxUnreferencedBytes;
  if (opts.maxUnreferencedBlocks !== undefined) limits.maxUnreferencedBlocks = opts.maxUnreferencedBlocks;
  return limits;
}

/** Streams an account's repository from its PDS within the limits, drawing a byte progress bar. */
export async function* downloadRepo(ctx: SourceContext, identity: AtprotoIdentity, limits: Partial<RepoLimits> = {}): AsyncIterable<Uint8Array> {
  const client = await pdsClient(ctx.f, identity);
  const { downloadRepoCar } = await import('../core/repo/remote.js');
  const res = await downloadRepoCar(client, identity.did, limits);
  const bar = ctx.err.progress(`downloading ${accountName(identity)}`);
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

function stdinSource(io: IO): RepoSource {
  if (io.stdinIsTTY) throw usage('InputRequired', 'no CAR on stdin: stdin is a terminal', { hint: 'pipe a CAR file in, or give its path' });
  let used = false;
  return {
    what: 'stdin',
    size: null,
    open() {
      if (used) throw usage('StdinReadTwice', 'this command reads the CAR more than once, and stdin can be read only once', { hint: 'save the CAR to a file and give its path' });
      used = true;
      return io.stdin as AsyncIterable<Uint8Array>;
    },
  };
}

/**
 * Opens a `<car|id>` argument. `fileOnly` (commands that read the CAR twice or upload it): stdin
 * or an account is a usage error ('CarFileRequired').
 */
export async function openRepoSource(arg: string, ctx: SourceContext, options: { fileOnly?: boolean; limits?: Partial<RepoLimits> } = {}): Promise<RepoSource> {
  if (arg === '-') {
    if (options.fileOnly) throw usage('CarFileRequired', 'this command reads a CAR file, not stdin', { hint: 'save the CAR to a file and give its path' });
    return stdinSource(ctx.io);
  }
  const [{ classifyRepoArgument }, { fileChunks }] = await Promise.all([import('../core/repo/source.js'), import('../core/codec/car.js')]);
  const kind = await classifyRepoArgument(arg);
  if (kind.kind === 'file') return { what: arg, file: arg, size: kind.size, open: () => fileChunks(kind.path) };
  if (options.fileOnly) throw usage('CarFileRequired', `"${arg}" is not a CAR file, and this command reads a CAR file`, { details: { account: kind.id } });
  const identity = await ctx.f.resolveAccount(kind.id);
  return { what: accountName(identity), size: null, identity, open: () => downloadRepo(ctx, identity, options.limits) };
}
