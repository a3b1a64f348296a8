// Builds sync 1.1 `#commit` / `#sync` events from a repository made with repo-builder.ts, signed
// with its key, so tests can doctor any part and check what the verifier says.
import { Cid, encodeCar, encodeCbor, type CborMap, type CborValue } from '../../../src/core/codec/index.js';
import type { PrivateKey } from '../../../src/core/crypto/index.js';
import { MutableMst } from '../../../src/core/repo/mst-edit.js';
import type { CommitEvent, RepoOp, SyncEvent } from '../../../src/core/firehose/index.js';
import { block, buildRepo, signCommit, tid, type Block, type BuildOptions, type BuiltRepo } from '../repo/repo-builder.js';

export type Write =
  | { action: 'create'; path: string; record: CborMap }
  | { action: 'update'; path: string; record: CborMap }
  | { action: 'delete'; path: string };

export interface BuiltCommit {
  evt: CommitEvent;
  commit: Block & { map: CborMap };
  /** Blocks in CAR order: commit, proof nodes, new records. */
  blocks: Block[];
  proof: Block[];
  records: Block[];
  /** MST root before and after. */
  prevData: Cid;
  data: Cid;
}

export interface CommitOptions {
  rev?: string;
  time?: string;
  /** Sign with another key. */
  signWith?: PrivateKey;
  /** Extra commit fields (or overrides), signed over. */
  commitFields?: CborMap;
}

/** A repository that advances commit by commit, like a PDS. */
export class TestRepo {
  readonly repo: BuiltRepo;
  tree: MutableMst;
  rev: string;
  data: Cid;
  seq = 100;
  private revCounter = 2_000_000;

  constructor(opts: BuildOptions = {}) {
    this.repo = buildRepo(opts);
    const blocks = new Map(this.repo.nodes.map((n) => [n.cid.key, n.bytes] as const));
    this.tree = MutableMst.load(blocks, this.repo.data);
    this.rev = this.repo.commitMap.rev as string;
    this.data = this.repo.data;
  }

  get did(): string {
    return this.repo.did;
  }

  get key(): PrivateKey {
    return this.repo.key;
  }

  /** State a verifier would hold after the repository's current commit. */
  state(): { rev: string; data: Cid } {
    return { rev: this.rev, data: this.data };
  }

  paths(collection?: string): string[] {
    return [...this.repo.records.keys()].filter((p) => collection === undefined || p.startsWith(collection + '/'));
  }

  nextRev(): string {
    return tid(this.revCounter++);
  }

  /** Apply writes, sign a commit, and advance the repository. */
  commit(writes: Write[], opts: CommitOptions = {}): BuiltCommit {
    const tree = this.tree.clone();
    const ops: RepoOp[] = [];
    const records: Block[] = [];
    for (const w of writes) {
      if (w.action === 'delete') {
        const prev = tree.remove(w.path);
        if (prev === null) throw new Error(`no record at ${w.path}`);
        ops.push({ action: 'delete', path: w.path, cid: null, prev });
      } else {
        const rec = block(w.record);
        records.push(rec);
        const prev = tree.insert(w.path, rec.cid);
        if (w.action === 'create' && prev !== null) throw new Error(`${w.path} exists`);
        if (w.action === 'update' && prev === null) throw new Error(`no record at ${w.path}`);
        ops.push({ action: w.action, path: w.path, cid: rec.cid, prev });
      }
    }
    const data = tree.rootCid();
    const proof = [...tree.coveringProof(writes.map((w) => w.path)).values()].map((b) => ({ cid: b.cid, bytes: b.bytes }));
    const rev = opts.rev ?? this.nextRev();
    const commit = signCommit(
      { did: this.did, version: 3, data, rev, prev: null, ...opts.commitFields },
      opts.signWith ?? this.key,
    );
    const blocks = [commit, ...proof, ...dedupe(records)];
    const evt: CommitEvent = {
      type: '#commit',
      seq: ++this.seq,
      repo: this.did,
      commit: commit.cid,
      rev,
      since: this.rev,
      blocks: encodeCar([commit.cid], blocks),
      ops,
      prevData: this.data,
      time: opts.time ?? '2024-06-01T12:00:00.000Z',
      tooBig: false,
      rebase: false,
      warnings: [],
    };
    const built: BuiltCommit = { evt, commit, blocks, proof, records, prevData: this.data, data };
    this.tree = tree;
    this.rev = rev;
    this.data = data;
    for (const w of writes) {
      if (w.action === 'delete') this.repo.records.delete(w.path);
      else this.repo.records.set(w.path, block(w.record));
    }
    return built;
  }

  /** A `#sync` event declaring the current commit (signed again, same data). */
  sync(opts: CommitOptions = {}): { evt: SyncEvent; commit: Block & { map: CborMap } } {
    const rev = opts.rev ?? this.nextRev();
    const commit = signCommit({ did: this.did, version: 3, data: this.data, rev, prev: null, ...opts.commitFields }, opts.signWith ?? this.key);
    this.rev = rev;
    return {
      commit,
      evt: { type: '#sync', seq: ++this.seq, did: this.did, blocks: encodeCar([commit.cid], [commit]), rev, time: '2024-06-01T12:00:00.000Z', warnings: [] },
    };
  }
}

function dedupe(blocks: Block[]): Block[] {
  const seen = new Set<string>();
  return blocks.filter((b) => (seen.has(b.cid.key) ? false : (seen.add(b.cid.key), true)));
}

/** Re-encode an event's CAR with other blocks (and optionally another root). */
export function withBlocks(evt: CommitEvent, blocks: Block[], root: Cid = evt.commit): CommitEvent {
  return { ...evt, blocks: encodeCar([root], blocks) };
}

/** The wire body of a `#commit` event (what a relay sends). */
export function commitBody(evt: CommitEvent): CborMap {
  const body: CborMap = {
    seq: evt.seq,
    rebase: evt.rebase,
    tooBig: evt.tooBig,
    repo: evt.repo,
    commit: evt.commit,
    rev: evt.rev,
    since: evt.since,
    blocks: evt.blocks,
    ops: evt.ops.map((o) => {
      const op: CborMap = { action: o.action, path: o.path, cid: o.cid };
      if (o.prev !== null) op.prev = o.prev;
      return op;
    }),
    blobs: [],
    time: evt.time,
  };
  if (evt.prevData !== null) body.prevData = evt.prevData;
  return body;
}

/** header ‖ payload, as one binary WebSocket message. */
export function frame(header: CborValue, body: CborValue): Uint8Array {
  const h = encodeCbor(header);
  const b = encodeCbor(body);
  const out = new Uint8Array(h.length + b.length);
  out.set(h, 0);
  out.set(b, h.length);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
