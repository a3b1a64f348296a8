// A small event-stream server on loopback for firehose tests: the WebSocket handshake on a
// node:http 'upgrade' and a minimal frame writer (the `ws` package is not installed). It replays
// the entries it is given, honours `cursor` (the spec's "seq ≥ cursor", so clients must drop the
// repeat), answers a future cursor with a FutureCursor error frame, can drop a connection
// mid-stream, and serves a DID document at /.well-known/did.json so atcli can resolve
// did:web:localhost%3APORT keys in dev mode.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { encodeCar, encodeCbor } from '../../../src/core/codec/index.js';
import { generatePrivateKey, type PrivateKey } from '../../../src/core/crypto/index.js';
import type { CommitEvent } from '../../../src/core/firehose/index.js';
import { post, signCommit, tid } from '../repo/repo-builder.js';
import { TestRepo, commitBody, concat, frame, withBlocks, type BuiltCommit } from './commit-builder.js';

export interface RelayEntry {
  /** The frame's seq, for cursor handling (omit for #info, text and undecodable frames). */
  seq?: number;
  /** A binary frame, or a string sent as a text frame. */
  data: Uint8Array | string;
  /** Send only on the first connection that reaches it (a transient fault). */
  once?: boolean;
  /** Close the connection after sending it (error frames). */
  closeAfter?: boolean;
  /** Anything the test wants to keep with the entry (for `filter` and `transform`). */
  meta?: unknown;
}

export interface TestRelayOptions {
  entries?: RelayEntry[];
  /** Connection i (0-based) is dropped after sending dropAfter[i] frames; undefined = never. */
  dropAfter?: Array<number | undefined>;
  /** 'close': a close frame then FIN; 'destroy': the TCP connection is cut. Default 'destroy'. */
  dropMode?: 'close' | 'destroy';
  /** Send seq > cursor instead of the spec's seq ≥ cursor. */
  exclusiveCursor?: boolean;
  /** The document served at /.well-known/did.json (404 while undefined). */
  didDocument?: unknown;
  /** The WebSocket endpoint (default the firehose's /xrpc/com.atproto.sync.subscribeRepos). */
  path?: string;
  /** A cursor past the last entry: a FutureCursor error frame (default), or live tail (Jetstream). */
  futureCursor?: 'error' | 'live';
  /** Send an entry on a connection only when this says so (server-side filters from the query). */
  filter?: (entry: RelayEntry, params: URLSearchParams) => boolean;
  /** What to send for an entry on a connection (e.g. compressed when the query asks). */
  transform?: (entry: RelayEntry, params: URLSearchParams) => Uint8Array | string;
}

export interface RelayConnection {
  cursor: number | null;
  /** The request's query parameters. */
  params: URLSearchParams;
  /** seqs (or -1 for seq-less entries) sent on this connection, in order. */
  sent: number[];
  closedByClient: boolean;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function wsFrame(opcode: number, payload: Uint8Array): Buffer {
  const len = payload.length;
  let header: Buffer;
  if (len < 126) {
    header = Buffer.from([0x80 | opcode, len]);
  } else if (len < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([header, payload]);
}

/** An error frame `{op: -1}` ‖ `{error, message?}`. */
export function errorFrame(error: string, message?: string): Uint8Array {
  const h = encodeCbor({ op: -1 });
  const b = encodeCbor(message === undefined ? { error } : { error, message });
  return Buffer.concat([h, b]);
}

export class TestRelay {
  readonly connections: RelayConnection[] = [];
  entries: RelayEntry[];
  didDocument: unknown;
  private readonly server: Server;
  private readonly sockets = new Set<Duplex>();
  private readonly sentOnce = new Set<RelayEntry>();
  private readonly wakers = new Set<() => void>();
  private port_ = 0;

  constructor(private readonly options: TestRelayOptions = {}) {
    this.entries = options.entries ?? [];
    this.didDocument = options.didDocument;
    this.server = createServer((req, res) => {
      if (req.url === '/.well-known/did.json' && this.didDocument !== undefined) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(this.didDocument));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'NotFound', message: 'not found' }));
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('upgrade', (req, socket) => this.upgrade(req, socket));
  }

  static async start(options: TestRelayOptions = {}): Promise<TestRelay> {
    const relay = new TestRelay(options);
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    relay.port_ = (relay.server.address() as { port: number }).port;
    return relay;
  }

  get port(): number {
    return this.port_;
  }

  /** http://localhost:PORT — what atcli is given as --relay (mapped to ws://). */
  get url(): string {
    return `http://localhost:${this.port_}`;
  }

  /** did:web:localhost%3APORT, whose document this server serves. */
  get did(): string {
    return `did:web:localhost%3A${this.port_}`;
  }

  /** A DID document naming `signingKey` (did:key) as the #atproto key. */
  didDocumentFor(signingKey: string, handle = 'relay.test'): unknown {
    const did = this.did;
    return {
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
      id: did,
      alsoKnownAs: [`at://${handle}`],
      verificationMethod: [{ id: `${did}#atproto`, type: 'Multikey', controller: did, publicKeyMultibase: signingKey.replace(/^did:key:/, '') }],
      service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: `http://localhost:${this.port_}` }],
    };
  }

  /** Add entries; connections waiting at the end receive them. */
  push(...entries: RelayEntry[]): void {
    this.entries.push(...entries);
    for (const w of [...this.wakers]) w();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    for (const w of [...this.wakers]) w();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private upgrade(req: IncomingMessage, socket: Duplex): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://localhost');
    const key = req.headers['sec-websocket-key'];
    if (url.pathname !== (this.options.path ?? '/xrpc/com.atproto.sync.subscribeRepos') || typeof key !== 'string') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const rawCursor = url.searchParams.get('cursor');
    const cursor = rawCursor === null ? null : Number(rawCursor);
    const conn: RelayConnection = { cursor, params: url.searchParams, sent: [], closedByClient: false };
    const index = this.connections.length;
    this.connections.push(conn);
    let open = true;
    socket.on('close', () => {
      open = false;
      for (const w of [...this.wakers]) w();
    });
    this.readClientFrames(socket, conn, () => (open = false));
    void this.serve(socket, conn, index, () => open).catch(() => socket.destroy());
  }

  private readClientFrames(socket: Duplex, conn: RelayConnection, onClose: () => void): void {
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (buf.length < 2) return;
        const opcode = buf[0]! & 0x0f;
        let len = buf[1]! & 0x7f;
        let at = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          at = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          at = 10;
        }
        const masked = (buf[1]! & 0x80) !== 0;
        const mask = masked ? buf.subarray(at, at + 4) : null;
        at += masked ? 4 : 0;
        if (buf.length < at + len) return;
        const payload = Buffer.from(buf.subarray(at, at + len));
        if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
        buf = buf.subarray(at + len);
        if (opcode === 0x8) {
          conn.closedByClient = true;
          onClose();
          if (!socket.destroyed) socket.end(wsFrame(0x8, payload.subarray(0, 2)));
          return;
        }
        if (opcode === 0x9 && !socket.destroyed) socket.write(wsFrame(0xa, payload));
      }
    });
  }

  private async serve(socket: Duplex, conn: RelayConnection, index: number, isOpen: () => boolean): Promise<void> {
    const write = (buf: Buffer): Promise<void> =>
      new Promise((resolve) => {
        if (socket.destroyed || !isOpen()) return resolve();
        if (socket.write(buf)) resolve();
        else {
          const done = (): void => {
            socket.off('drain', done);
            socket.off('close', done);
            resolve();
          };
          socket.once('drain', done);
          socket.once('close', done);
        }
      });
    const cursor = conn.cursor;
    if (cursor !== null && this.options.futureCursor !== 'live') {
      const maxSeq = Math.max(0, ...this.entries.map((e) => e.seq ?? 0));
      if (cursor > maxSeq) {
        await write(wsFrame(0x2, errorFrame('FutureCursor', 'Cursor in the future.')));
        socket.end(wsFrame(0x8, Buffer.from([0x03, 0xe8])));
        return;
      }
    }
    let i = 0;
    if (cursor !== null) {
      for (let j = 0; j < this.entries.length; j++) {
        const s = this.entries[j]!.seq;
        if (s !== undefined && (this.options.exclusiveCursor ? s <= cursor : s < cursor)) i = j + 1;
      }
    }
    const limit = this.options.dropAfter?.[index];
    let sent = 0;
    for (;;) {
      if (!isOpen() || socket.destroyed) return;
      if (i >= this.entries.length) {
        await new Promise<void>((resolve) => {
          const w = (): void => {
            this.wakers.delete(w);
            resolve();
          };
          this.wakers.add(w);
        });
        continue;
      }
      if (limit !== undefined && sent >= limit) {
        if (this.options.dropMode === 'close') socket.end(wsFrame(0x8, Buffer.from([0x03, 0xe9])));
        else socket.destroy();
        return;
      }
      const entry = this.entries[i++]!;
      if (entry.once) {
        if (this.sentOnce.has(entry)) continue;
        this.sentOnce.add(entry);
      }
      if (this.options.filter && !this.options.filter(entry, conn.params)) continue;
      const data = this.options.transform ? this.options.transform(entry, conn.params) : entry.data;
      await write(typeof data === 'string' ? wsFrame(0x1, Buffer.from(data, 'utf8')) : wsFrame(0x2, data));
      conn.sent.push(entry.seq ?? -1);
      sent++;
      if (entry.closeAfter) {
        socket.end(wsFrame(0x8, Buffer.from([0x03, 0xe8])));
        return;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A stream of real (TestRepo) commits with doctored frames between them.

export interface ExpectedLine {
  seq: number | null;
  type: 'commit' | 'sync' | 'identity' | 'account' | null;
  ok: boolean;
  /** What a failure's reasons must name. */
  reason?: RegExp;
  /** For valid commits: the ops, as `action collection/rkey`. */
  ops?: string[];
}

export interface DoctoredStream {
  repo: TestRepo;
  entries: RelayEntry[];
  /** What the pipeline must output, in order (one line per frame). */
  expected: ExpectedLine[];
  /** How many frames the stream holds (text frame included). */
  frames: number;
}

const rkeyOf = (i: number): string => tid(5_000_000 + i);

/**
 * identity; valid commits (create, update, delete, multi-op) with, before several of them, a
 * doctored variant of the same commit: a bad signature, a CAR root that differs from `commit`,
 * an op list whose inversion misses prevData, a missing record block, a text frame, an oversized
 * frame, trailing bytes; a commit whose prevData breaks the chain (the one before it never sent);
 * an #account and a #sync. Each valid commit continues the chain of the last valid one.
 */
export function doctoredStream(opts: { did?: string; key?: PrivateKey } = {}): DoctoredStream {
  const repo = new TestRepo({ ...(opts.did ? { did: opts.did } : {}), ...(opts.key ? { key: opts.key } : {}), records: [['app.bsky.actor.profile/self', { $type: 'app.bsky.actor.profile', displayName: 'Before' }]] });
  const did = repo.did;
  const other = generatePrivateKey('k256');
  const entries: RelayEntry[] = [];
  const expected: ExpectedLine[] = [];
  let seq = 0;
  const time = '2024-06-01T12:00:00.000Z';
  const opsOf = (c: BuiltCommit): string[] => c.evt.ops.map((o) => `${o.action} ${o.path}`);
  const send = (evt: CommitEvent, exp: Omit<ExpectedLine, 'seq' | 'type'>, transform?: (f: Uint8Array) => Uint8Array): void => {
    const s = ++seq;
    const f = frame({ op: 1, t: '#commit' }, commitBody({ ...evt, seq: s }));
    entries.push({ seq: s, data: transform ? transform(f) : f });
    expected.push({ seq: s, type: 'commit', ...exp });
  };
  const valid = (c: BuiltCommit): void => send(c.evt, { ok: true, ops: opsOf(c) });

  {
    const s = ++seq;
    entries.push({ seq: s, data: frame({ op: 1, t: '#identity' }, { seq: s, did, time, handle: 'relay.test' }) });
    expected.push({ seq: s, type: 'identity', ok: true });
  }
  valid(repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkeyOf(1)}`, record: post('first') }]));

  // A bad signature (signed by another key).
  const c2 = repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkeyOf(2)}`, record: post('second') }]);
  const forged = signCommit({ ...c2.commit.map }, other);
  send({ ...c2.evt, commit: forged.cid, blocks: encodeCar([forged.cid], [forged, ...c2.proof, ...c2.records]) }, { ok: false, reason: /bad signature/ });
  valid(c2);

  // The CAR root differs from `commit`.
  const c3 = repo.commit([{ action: 'update', path: 'app.bsky.actor.profile/self', record: { $type: 'app.bsky.actor.profile', displayName: 'After' } }]);
  send(withBlocks(c3.evt, c3.blocks, c3.records[0]!.cid), { ok: false, reason: /CAR root .* != commit/ });
  valid(c3);

  // The op list misses one op: its inversion does not reach prevData.
  const c4 = repo.commit([
    { action: 'create', path: `app.bsky.feed.like/${rkeyOf(3)}`, record: { $type: 'app.bsky.feed.like', subject: 'x', createdAt: time } },
    { action: 'create', path: `app.bsky.feed.post/${rkeyOf(4)}`, record: post('fourth') },
  ]);
  send({ ...c4.evt, ops: c4.evt.ops.slice(0, 1) }, { ok: false, reason: /inverted root .* != prevData/ });
  valid(c4);

  // A created record's block is missing.
  const c5 = repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkeyOf(5)}`, record: post('fifth') }]);
  send(withBlocks(c5.evt, c5.blocks.filter((b) => !b.cid.equals(c5.records[0]!.cid))), { ok: false, reason: /record block .* missing/ });
  valid(c5);

  // A text frame (sent once: a transient fault; it has no seq).
  entries.push({ data: '{"op":1,"t":"#commit"}', once: true });
  expected.push({ seq: null, type: null, ok: false, reason: /text message/ });
  valid(repo.commit([{ action: 'delete', path: `app.bsky.feed.post/${rkeyOf(1)}` }]));

  // An oversized frame (6 MB).
  {
    const s = ++seq;
    entries.push({ seq: s, data: frame({ op: 1, t: '#commit' }, { seq: s, repo: did, padding: new Uint8Array(6_000_000) }) });
    expected.push({ seq: s, type: null, ok: false, reason: /exceed the 5000000-byte frame limit/ });
  }
  valid(repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkeyOf(6)}`, record: post('sixth') }]));

  // Trailing bytes after the payload.
  const c8 = repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkeyOf(7)}`, record: post('seventh') }]);
  send(c8.evt, { ok: false, reason: /bytes after the payload/ }, (f) => concat(f, new Uint8Array([0x00])));
  expected[expected.length - 1]!.type = null;
  valid(c8);

  // prevData breaks the chain: the commit before it is never sent.
  repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkeyOf(8)}`, record: post('never sent') }]);
  send(repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkeyOf(9)}`, record: post('ninth') }]).evt, { ok: false, reason: /prevData does not continue the chain/ });
  // The chain restarts from the discontinuous commit.
  valid(repo.commit([{ action: 'update', path: `app.bsky.feed.post/${rkeyOf(9)}`, record: post('ninth, edited') }]));

  {
    const s = ++seq;
    entries.push({ seq: s, data: frame({ op: 1, t: '#account' }, { seq: s, did, time, active: true }) });
    expected.push({ seq: s, type: 'account', ok: true });
  }
  {
    const { evt } = repo.sync();
    const s = ++seq;
    entries.push({ seq: s, data: frame({ op: 1, t: '#sync' }, { seq: s, did, blocks: evt.blocks, rev: evt.rev, time }) });
    expected.push({ seq: s, type: 'sync', ok: true });
  }
  valid(repo.commit([{ action: 'create', path: `app.bsky.feed.post/${rkeyOf(10)}`, record: post('after the sync') }]));
  return { repo, entries, expected, frames: entries.length };
}
