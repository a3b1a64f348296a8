/**
 * Applying a repository diff to an earlier snapshot (spec:sync "getRepo" with `since`).
 *
 * A host answers `getRepo?since=<rev>` with the blocks written after that revision: the new
 * commit, the MST nodes and records that are new. The earlier snapshot holds everything else.
 * {@link rebuildRepoCar} walks the new commit's tree, taking each block from the diff or the
 * snapshot, and writes a complete CAR with exactly the blocks the new commit references (blocks
 * only the old tree used are dropped). A block either side lacks is an error: the caller then
 * downloads the whole repository. The result must still be verified like any download.
 *
 * Both inputs stay on disk ({@link CarFileBlocks}): memory holds an index of block positions and
 * the walk's stack, never the blocks themselves.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { invalid, runtime } from '../errors.js';
import { openCarFile, writeCar, type CarReadOptions, type CarWriteBlock } from '../codec/car.js';
import { decodeCbor } from '../codec/cbor.js';
import { Cid, sha256Matches } from '../codec/cid.js';
import { uvarintSize } from '../codec/varint.js';
import { parseCommit } from './commit.js';
import { CidIndex } from './cid-index.js';
import { parseMstNode } from './mst.js';

/** Random access to the blocks of a CAR file: one streaming pass records where each block is. */
export class CarFileBlocks {
  private readonly index = new CidIndex();
  private offsets = new Float64Array(1024);
  private lengths = new Int32Array(1024);
  private count = 0;

  private constructor(
    readonly path: string,
    readonly roots: Cid[],
    private readonly fh: FileHandle,
  ) {}

  /** Indexes `path` (every block's hash is checked on the way). Close it when done. */
  static async open(path: string, options: CarReadOptions = {}): Promise<CarFileBlocks> {
    const car = await openCarFile(path, { ...options, verifyHashes: true });
    const fh = await open(path, 'r');
    const blocks = new CarFileBlocks(path, car.header.roots, fh);
    try {
      for await (const batch of car.batches()) {
        for (const b of batch) blocks.add(b.cid, b.offset + uvarintSize(b.cid.bytes.length + b.bytes.length) + b.cid.bytes.length, b.bytes.length);
      }
    } catch (err) {
      await fh.close();
      throw err;
    }
    return blocks;
  }

  private add(cid: Cid, offset: number, length: number): void {
    if (this.index.has(cid.key)) return;
    if (this.count === this.offsets.length) {
      const o = new Float64Array(this.count * 2);
      o.set(this.offsets);
      this.offsets = o;
      const l = new Int32Array(this.count * 2);
      l.set(this.lengths);
      this.lengths = l;
    }
    this.offsets[this.count] = offset;
    this.lengths[this.count] = length;
    this.index.set(cid.key, this.count++);
  }

  get size(): number {
    return this.count;
  }

  has(cid: Cid): boolean {
    return this.index.has(cid.key);
  }

  /** The block's bytes, re-checked against the CID (the file may have changed since it was indexed). */
  async get(cid: Cid): Promise<Uint8Array | undefined> {
    const i = this.index.get(cid.key);
    if (i === undefined) return undefined;
    const bytes = new Uint8Array(this.lengths[i]!);
    const { bytesRead } = await this.fh.read(bytes, 0, bytes.length, this.offsets[i]!);
    if (bytesRead !== bytes.length || !sha256Matches(bytes, cid.bytes, cid.digestOffset)) {
      throw runtime('CarFileChanged', `block ${cid.toString()} of ${this.path} changed on disk since it was read`);
    }
    return bytes;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

export interface RebuildStats {
  /** Blocks written (commit, MST nodes, distinct records). */
  blocks: number;
  recordBlocks: number;
  /** Blocks and records taken from the first source (the diff). */
  blocksFromFirst: number;
  recordBlocksFromFirst: number;
}

type Pending = { kind: 'node' | 'record'; cid: Cid };

/**
 * A complete CAR for the commit `root`, streamed: the commit, then its tree in key order (each
 * node before its entries), each record after the subtree left of it. `sources` are searched in
 * order (the diff first, then the earlier snapshot). Throws invalid 'IncompleteRepo' when a
 * block is in no source, and whatever the MST or commit parser reports for a malformed block.
 */
export function rebuildRepoCar(root: Cid, sources: readonly CarFileBlocks[], stats: RebuildStats): AsyncGenerator<Uint8Array, void, undefined> {
  const seen = new CidIndex();
  async function fetch(cid: Cid, what: string): Promise<{ bytes: Uint8Array; first: boolean }> {
    for (let i = 0; i < sources.length; i++) {
      const bytes = await sources[i]!.get(cid);
      if (bytes !== undefined) return { bytes, first: i === 0 };
    }
    throw invalid('IncompleteRepo', `${what} ${cid.toString()} is neither in the diff nor in the earlier snapshot`);
  }
  async function* blocks(): AsyncGenerator<CarWriteBlock> {
    const commit = await fetch(root, 'the commit');
    const parsed = parseCommit(decodeCbor(commit.bytes));
    if (parsed.parsed === undefined) throw invalid('InvalidCommit', `the commit ${root.toString()} is malformed: ${parsed.problems.join('; ')}`);
    stats.blocks++;
    if (commit.first) stats.blocksFromFirst++;
    yield { cid: root, bytes: commit.bytes };
    const stack: Pending[] = [{ kind: 'node', cid: parsed.parsed.commit.data }];
    while (stack.length > 0) {
      const item = stack.pop()!;
      if (seen.has(item.cid.key)) continue;
      seen.set(item.cid.key, 1);
      const got = await fetch(item.cid, item.kind === 'node' ? 'MST node' : 'record');
      stats.blocks++;
      if (got.first) stats.blocksFromFirst++;
      if (item.kind === 'record') {
        stats.recordBlocks++;
        if (got.first) stats.recordBlocksFromFirst++;
      } else {
        const { node } = parseMstNode(decodeCbor(got.bytes));
        // Pushed in reverse so that they pop in key order.
        const next: Pending[] = [];
        if (node.left) next.push({ kind: 'node', cid: node.left });
        for (const e of node.entries) {
          next.push({ kind: 'record', cid: e.value });
          if (e.right) next.push({ kind: 'node', cid: e.right });
        }
        for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]!);
      }
      yield { cid: item.cid, bytes: got.bytes };
    }
  }
  return writeCar([root], blocks());
}
