// A loopback Jetstream for end-to-end tests: Jetstream itself is a Go service that cannot be built
// here, so this stand-in reads a REAL PDS's com.atproto.sync.subscribeRepos and re-emits each
// event in Jetstream's documented wire format (docs/jetstream.md): one `commit` message per record
// operation with the record as JSON, `identity` and `account` messages, `time_us` from a strictly
// increasing microsecond clock, replay of `time_us ≥ cursor`, a future cursor meaning live,
// `wantedCollections` / `wantedDids` honoured (identity and account events always sent), and
// zstd compression with a dictionary when `compress=true`. Decoding uses @ipld/dag-cbor and
// @ipld/car, not atcli's own codecs.
import { compressUsingDict, createCCtx, freeCCtx, init as initZstd } from '@bokuweb/zstd-wasm';
import { CarReader } from '@ipld/car';
import * as dagCbor from '@ipld/dag-cbor';
import { CID } from 'multiformats/cid';
import { WebSocket } from 'undici';
import { TestRelay, type RelayEntry } from '../core/firehose/test-relay.js';

export interface JetstreamMessage {
  did: string;
  time_us: number;
  kind: 'commit' | 'identity' | 'account';
  [body: string]: unknown;
}

const HEADER_TYPES = ['#commit', '#identity', '#account', '#sync', '#info'];
const HEADERS = HEADER_TYPES.map((t) => ({ t, bytes: dagCbor.encode({ op: 1, t }) }));

/** A firehose frame is a DAG-CBOR header followed by a body; the header of a message frame is one of a few canonical encodings. */
function splitFrame(buf: Uint8Array): { type: string; body: Record<string, unknown> } | null {
  for (const h of HEADERS) {
    if (buf.length > h.bytes.length && h.bytes.every((b, i) => buf[i] === b)) return { type: h.t, body: dagCbor.decode(buf.subarray(h.bytes.length)) as Record<string, unknown> };
  }
  return null;
}

/** DAG-CBOR values as atproto JSON ($link, $bytes). */
function toJson(v: unknown): unknown {
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('base64').replace(/=+$/, '') };
  const cid = CID.asCID(v);
  if (cid) return { $link: cid.toString() };
  if (Array.isArray(v)) return v.map(toJson);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

export class LoopbackJetstream {
  readonly messages: JetstreamMessage[] = [];
  private lastUs = 0;
  private ws: WebSocket | undefined;

  private constructor(
    readonly relay: TestRelay,
    private readonly dictionary: Uint8Array | undefined,
  ) {}

  /** Start serving, fed by the firehose of `pdsUrl` from its beginning. `dropAfter` as in TestRelay. */
  static async start(pdsUrl: string, options: { dictionary?: Uint8Array; dropAfter?: Array<number | undefined> } = {}): Promise<LoopbackJetstream> {
    if (options.dictionary) await initZstd();
    const relay = await TestRelay.start({
      path: '/subscribe',
      futureCursor: 'live',
      ...(options.dropAfter ? { dropAfter: options.dropAfter } : {}),
      filter: (entry, params) => wanted(entry.meta as JetstreamMessage, params),
      transform: (entry, params) => (params.get('compress') === 'true' ? self.compress(entry.data as string) : entry.data),
    });
    const self = new LoopbackJetstream(relay, options.dictionary);
    await self.follow(pdsUrl);
    return self;
  }

  get url(): string {
    return this.relay.url;
  }

  private compress(text: string): Uint8Array {
    if (!this.dictionary) throw new Error('compression asked for, but this loopback Jetstream has no dictionary');
    // A context per message: the client under test instantiates the same WebAssembly module again
    // (one module per process), which invalidates contexts made before.
    const cctx = createCCtx();
    try {
      return compressUsingDict(cctx, new TextEncoder().encode(text), this.dictionary, 3);
    } finally {
      freeCCtx(cctx);
    }
  }

  private follow(pdsUrl: string): Promise<void> {
    const ws = new WebSocket(`${pdsUrl.replace(/^http/, 'ws')}/xrpc/com.atproto.sync.subscribeRepos?cursor=0`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onmessage = (ev) => {
      void this.onFrame(new Uint8Array(ev.data as ArrayBuffer)).catch((err: unknown) => process.stderr.write(`loopback jetstream: ${String(err)}\n`));
    };
    return new Promise((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error('loopback jetstream: cannot subscribe to the PDS'));
    });
  }

  private chain: Promise<void> = Promise.resolve();

  private onFrame(buf: Uint8Array): Promise<void> {
    this.chain = this.chain.then(() => this.convert(buf));
    return this.chain;
  }

  private nextUs(): number {
    this.lastUs = Math.max(this.lastUs + 1, Date.now() * 1000);
    return this.lastUs;
  }

  private emit(m: JetstreamMessage): void {
    this.messages.push(m);
    const entry: RelayEntry = { seq: m.time_us, data: JSON.stringify(m), meta: m };
    this.relay.push(entry);
  }

  private async convert(buf: Uint8Array): Promise<void> {
    const frame = splitFrame(buf);
    if (frame === null) return;
    const b = frame.body;
    if (frame.type === '#commit') {
      const car = await CarReader.fromBytes(b.blocks as Uint8Array);
      const blocks = new Map<string, Uint8Array>();
      for await (const block of car.blocks()) blocks.set(block.cid.toString(), block.bytes);
      for (const op of b.ops as Array<{ action: string; path: string; cid: CID | null }>) {
        const [collection, rkey] = op.path.split('/') as [string, string];
        const commit: Record<string, unknown> = { rev: b.rev, operation: op.action, collection, rkey };
        if (op.action !== 'delete' && op.cid) {
          const block = blocks.get(op.cid.toString());
          if (block) commit.record = toJson(dagCbor.decode(block));
          commit.cid = op.cid.toString();
        }
        this.emit({ did: b.repo as string, time_us: this.nextUs(), kind: 'commit', commit });
      }
    } else if (frame.type === '#identity') {
      this.emit({ did: b.did as string, time_us: this.nextUs(), kind: 'identity', identity: { did: b.did, ...(b.handle ? { handle: b.handle } : {}), seq: b.seq, time: b.time } });
    } else if (frame.type === '#account') {
      this.emit({ did: b.did as string, time_us: this.nextUs(), kind: 'account', account: { active: b.active, did: b.did, seq: b.seq, time: b.time, ...(b.status ? { status: b.status } : {}) } });
    }
  }

  async close(): Promise<void> {
    this.ws?.close();
    await this.relay.close();
  }
}

function wanted(m: JetstreamMessage, params: URLSearchParams): boolean {
  const dids = params.getAll('wantedDids');
  if (dids.length > 0 && !dids.includes(m.did)) return false;
  if (m.kind !== 'commit') return true;
  const collections = params.getAll('wantedCollections');
  if (collections.length === 0) return true;
  const c = (m.commit as { collection: string }).collection;
  return collections.some((w) => (w.endsWith('.*') ? c.startsWith(w.slice(0, -1)) : c === w));
}
