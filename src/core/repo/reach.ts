/**
 * Limits on a repository CAR and the bookkeeping that keeps memory bounded whatever a server
 * sends (docs/repo-limits.md).
 *
 * The verifier keeps an index of the blocks it has seen until the tree has been walked, since a
 * CAR may list children before their parents. At checkpoints while the CAR streams (after 32 MiB,
 * then each time another half of what was read, at most 256 MiB, has followed) `ReachTracker`
 * asks whether the tree is already complete: every path from the commit ends at a block that has
 * arrived. From then on a block that is not already known is unreferenced for good: it is counted
 * against the limits and never kept. Before that, blocks are kept (they may still be reached) up
 * to the block and byte limits. A CAR under 32 MiB is never checked early, so small repositories
 * cost nothing extra; for large ones the checks stop at the first missing block, and even when a
 * CAR is a full walk of the tree they add up to a few walks over its MST nodes.
 */
import { cidKey } from '../codec/cid.js';
import { runtime, type AtcliError } from '../errors.js';

export interface RepoLimits {
  /** Bytes of CAR read at most (the whole download). */
  maxBytes: number;
  /** Blocks read at most. */
  maxBlocks: number;
  /** Bytes of blocks that no path from the commit reaches, at most. */
  maxUnreferencedBytes: number;
  /** Blocks that no path from the commit reaches, at most. */
  maxUnreferencedBlocks: number;
}

/**
 * Defaults generous enough for the largest real repositories (docs/repo-limits.md): about 400
 * bytes and 1.3 blocks per record, so 8 GiB and 32 million blocks hold some 20 million records.
 * A PDS serves only the blocks the commit reaches; 256 MiB of blocks outside the tree is far more
 * than any honest host sends.
 */
export const DEFAULT_REPO_LIMITS: Readonly<RepoLimits> = Object.freeze({
  maxBytes: 8 * 1024 ** 3,
  maxBlocks: 32_000_000,
  maxUnreferencedBytes: 256 * 1024 ** 2,
  maxUnreferencedBlocks: 1_000_000,
});

const FIRST_CHECKPOINT = 32 * 1024 ** 2;
const MAX_CHECKPOINT_STEP = 256 * 1024 ** 2;

/** What the verifier holds for a block: an MST-node-shaped block's bytes, `true` for any other block, `undefined` if it has not arrived. */
export type BlockLookup = (key: string) => Uint8Array | true | undefined;

export class ReachTracker {
  private readonly limits: RepoLimits;
  private root: string | undefined;
  private complete = false;
  private nextCheckpoint = FIRST_CHECKPOINT;
  private blocks = 0;
  unreferencedBlocks = 0;
  unreferencedBytes = 0;

  constructor(
    limits: Partial<RepoLimits> | undefined,
    private readonly lookup: BlockLookup,
  ) {
    this.limits = { ...DEFAULT_REPO_LIMITS, ...limits };
  }

  /**
   * Counts one section of the CAR (`end`: its end offset) against the limits; throws runtime
   * 'RepoTooLarge' past them. Returns true when the block is unreferenced for good (the tree is
   * complete and does not contain it): it is counted and must not be kept.
   */
  section(key: string, dataBytes: number, end: number): boolean {
    this.blocks++;
    if (end > this.limits.maxBytes) throw this.tooLarge('bytes', `more than ${this.limits.maxBytes} bytes`);
    if (this.blocks > this.limits.maxBlocks) throw this.tooLarge('blocks', `more than ${this.limits.maxBlocks} blocks`);
    if (!this.complete && end >= this.nextCheckpoint) {
      this.nextCheckpoint = end + Math.min(MAX_CHECKPOINT_STEP, Math.max(FIRST_CHECKPOINT, Math.floor(end / 2)));
      this.complete = this.root !== undefined && this.treeComplete(this.root);
    }
    if (!this.complete || this.lookup(key) !== undefined) return false;
    this.unreferencedBlocks++;
    this.unreferencedBytes += dataBytes;
    if (this.unreferencedBytes > this.limits.maxUnreferencedBytes) {
      throw this.tooLarge('unreferencedBytes', `more than ${this.limits.maxUnreferencedBytes} bytes of blocks that the repository does not use`);
    }
    if (this.unreferencedBlocks > this.limits.maxUnreferencedBlocks) {
      throw this.tooLarge('unreferencedBlocks', `more than ${this.limits.maxUnreferencedBlocks} blocks that the repository does not use`);
    }
    return true;
  }

  /** The commit arrived; `data` is its MST root (an unusable commit leaves the tree incomplete for good). */
  commit(data: Uint8Array | undefined): void {
    if (data !== undefined && this.root === undefined) this.root = cidKey(data);
  }

  /** Whether every path from `root` ends at a block that has arrived; stops at the first that has not. */
  private treeComplete(root: string): boolean {
    const seen = new Set<string>([root]);
    const stack = [root];
    let missing = false;
    const visit = (key: string): void => {
      if (seen.has(key)) return;
      seen.add(key);
      stack.push(key);
    };
    while (stack.length > 0 && !missing) {
      const found = this.lookup(stack.pop() as string);
      if (found === undefined) missing = true;
      else if (found !== true) forEachLink(found, visit);
    }
    return !missing;
  }

  private tooLarge(limit: 'bytes' | 'blocks' | 'unreferencedBytes' | 'unreferencedBlocks', what: string): AtcliError {
    return runtime('RepoTooLarge', `the repository CAR holds ${what}; reading stopped there`, {
      details: { limit, limits: { ...this.limits }, blocks: this.blocks, unreferencedBlocks: this.unreferencedBlocks, unreferencedBytes: this.unreferencedBytes },
    });
  }
}

/**
 * Calls `onLink` with the key ({@link cidKey}) of every CID link (tag 42) in a DAG-CBOR block,
 * without building values. Stops quietly at anything malformed: the strict decoder reports it
 * later; here a missed link can only mean a block is kept that need not be.
 */
export function forEachLink(bytes: Uint8Array, onLink: (key: string) => void): void {
  let pos = 0;
  // Items still to read in each open array or map (a map entry counts twice).
  const open: number[] = [1];
  while (open.length > 0 && pos < bytes.length) {
    const top = open.length - 1;
    if (open[top] === 0) {
      open.pop();
      continue;
    }
    (open[top] as number)--;
    const initial = bytes[pos] as number;
    const major = initial >> 5;
    const info = initial & 0x1f;
    pos++;
    let arg: number;
    if (info < 24) arg = info;
    else if (info === 24) arg = bytes[pos++] as number;
    else if (info === 25) {
      arg = ((bytes[pos] as number) << 8) | (bytes[pos + 1] as number);
      pos += 2;
    } else if (info === 26) {
      arg = (((bytes[pos] as number) << 24) >>> 0) + ((bytes[pos + 1] as number) << 16) + ((bytes[pos + 2] as number) << 8) + (bytes[pos + 3] as number);
      pos += 4;
    } else if (info === 27) {
      const high = (((bytes[pos] as number) << 24) >>> 0) + ((bytes[pos + 1] as number) << 16) + ((bytes[pos + 2] as number) << 8) + (bytes[pos + 3] as number);
      if (major !== 0 && major !== 1 && major !== 7 && high !== 0) return;
      arg = high * 2 ** 32 + ((((bytes[pos + 4] as number) << 24) >>> 0) + ((bytes[pos + 5] as number) << 16) + ((bytes[pos + 6] as number) << 8) + (bytes[pos + 7] as number));
      pos += 8;
    } else return; // indefinite lengths and reserved values: not DAG-CBOR
    switch (major) {
      case 2:
      case 3:
        pos += arg;
        break;
      case 4:
        open.push(arg);
        break;
      case 5:
        open.push(arg * 2);
        break;
      case 6:
        if (arg === 42 && (bytes[pos] as number) >> 5 === 2) {
          // Tag 42: a byte string holding 0x00 (the identity multibase) and the binary CID.
          const head = bytes[pos] as number;
          const len = (head & 0x1f) < 24 ? head & 0x1f : (head & 0x1f) === 24 ? (bytes[pos + 1] as number) : -1;
          const start = pos + ((head & 0x1f) < 24 ? 1 : 2);
          if (len > 1 && start + len <= bytes.length && bytes[start] === 0) onLink(cidKey(bytes.subarray(start + 1, start + len)));
        }
        open.push(1);
        break;
      default:
        break;
    }
  }
}
