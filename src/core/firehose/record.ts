/**
 * Firehose recordings: the raw frames `atcli firehose tail --record` received, so `atcli firehose
 * replay` can feed them through the same pipeline offline and print the same output.
 *
 * Format (version 1), all integers big-endian:
 *
 *     file   = magic entry*
 *     magic  = "ATCLIFH1"                                  8 bytes ASCII
 *     entry  = kind:u8 seq:u64 time:u64 length:u32 payload[length]
 *
 * | kind | payload |
 * | ---- | ------- |
 * | 1    | a binary WebSocket message exactly as received: the event-stream frame (DAG-CBOR header ‖ payload), valid or not |
 * | 2    | a text WebSocket message (UTF-8); invalid on this stream, kept so that replay reports it too |
 * | 3    | a signing key the pipeline resolved, UTF-8 JSON `{"did": …, "key": "did:key:…"}` or `{"did": …, "error": "…"}`; written before the frame whose verification needed it, so replay verifies with the same keys, offline |
 * | 4    | a session start, UTF-8 JSON `{"url": …, "cursor": n \| null, "startedAt": "…"}` (informational) |
 * | 5    | an account look-up (keys with their history, PDS), UTF-8 JSON `{"did": …, "info": {…}}` or `{"did": …, "error": "…"}` (see `AccountInfo` in keys.ts); written like kind 3, by history-aware verification |
 *
 * `seq` is the frame's sequence number, 0 when it has none (`#info`, text, undecodable frames) and
 * for kinds 3 and 4. `time` is when atcli received the frame (ms since the Unix epoch); replay
 * checks "rev in the future" against it. Frames are recorded in processing order after duplicates
 * were dropped, so the file holds each seq once. Each entry is appended with one write; a reader
 * reports a truncated last entry (a recording cut off by a crash) and keeps everything before
 * it. Unknown kinds are skipped, so later versions can add entry kinds.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { runtime, usage } from '../errors.js';
import { parseAccountInfo, type AccountLookup } from './keys.js';
import type { FrameInput, FrameSource } from './pipeline.js';

export const RECORDING_MAGIC = 'ATCLIFH1';
const MAGIC = Buffer.from(RECORDING_MAGIC, 'ascii');
const ENTRY_HEADER_BYTES = 1 + 8 + 8 + 4;
/** Larger payloads mean a corrupt file (the transport accepts at most 10 MB per frame). */
export const MAX_RECORDED_PAYLOAD = 64 * 1024 * 1024;

export const ENTRY_KINDS = { binary: 1, text: 2, key: 3, session: 4, account: 5 } as const;

export type RecordingEntry =
  | { kind: 'frame'; seq: number | null; time: number; data: Uint8Array | string; offset: number }
  | { kind: 'key'; did: string; key: string | null; error: string | null; offset: number }
  | { kind: 'session'; url: string | null; cursor: number | null; startedAt: string | null; offset: number }
  | { kind: 'account'; did: string; result: AccountLookup; offset: number }
  | { kind: 'truncated'; offset: number; bytes: number };

function entry(kind: number, seq: number | null, time: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(ENTRY_HEADER_BYTES + payload.length);
  out.writeUInt8(kind, 0);
  out.writeBigUInt64BE(BigInt(seq ?? 0), 1);
  out.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(time))), 9);
  out.writeUInt32BE(payload.length, 17);
  out.set(payload, ENTRY_HEADER_BYTES);
  return out;
}

/** Appends entries to a recording (created, or continued when it exists). Writes are serialised. */
export class FrameRecorder {
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<FrameRecorder> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'a+');
    } catch (err) {
      throw runtime('RecordingUnwritable', `cannot open ${path} for recording: ${(err as Error).message}`);
    }
    try {
      const { size } = await fh.stat();
      if (size === 0) {
        await fh.write(MAGIC);
      } else {
        const head = Buffer.alloc(MAGIC.length);
        const { bytesRead } = await fh.read(head, 0, head.length, 0);
        if (bytesRead !== MAGIC.length || !head.equals(MAGIC)) {
          throw usage('NotARecording', `${path} exists and is not an atcli firehose recording`, { hint: 'choose another --record file (an existing recording is appended to)' });
        }
      }
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
    return new FrameRecorder(fh, path);
  }

  private append(buf: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(runtime('RecordingClosed', `the recording ${this.path} is closed`));
    this.chain = this.chain.then(async () => {
      let offset = 0;
      while (offset < buf.length) {
        const { bytesWritten } = await this.fh.write(buf, offset, buf.length - offset);
        offset += bytesWritten;
      }
    });
    return this.chain;
  }

  /** A WebSocket message as received (binary or text). */
  frame(data: Uint8Array | string, seq: number | null, time: number): Promise<void> {
    return typeof data === 'string'
      ? this.append(entry(ENTRY_KINDS.text, seq, time, Buffer.from(data, 'utf8')))
      : this.append(entry(ENTRY_KINDS.binary, seq, time, data));
  }

  key(did: string, result: { key: string } | { error: string }, time = Date.now()): Promise<void> {
    return this.append(entry(ENTRY_KINDS.key, null, time, Buffer.from(JSON.stringify({ did, ...result }), 'utf8')));
  }

  /** An account look-up (history-aware verification), so replay uses the same keys offline. */
  account(did: string, result: AccountLookup, time = Date.now()): Promise<void> {
    const body = result.info !== undefined ? { did, info: result.info } : { did, error: result.error };
    return this.append(entry(ENTRY_KINDS.account, null, time, Buffer.from(JSON.stringify(body), 'utf8')));
  }

  session(info: { url: string; cursor: number | null }, time = Date.now()): Promise<void> {
    const body = { url: info.url, cursor: info.cursor, startedAt: new Date(time).toISOString() };
    return this.append(entry(ENTRY_KINDS.session, null, time, Buffer.from(JSON.stringify(body), 'utf8')));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.chain;
      await this.fh.sync();
    } finally {
      await this.fh.close();
    }
  }
}

function jsonPayload(bytes: Uint8Array): Record<string, unknown> {
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Reads a recording entry by entry. Throws usage 'NotARecording' when the magic is wrong. */
export async function* readRecording(path: string): AsyncGenerator<RecordingEntry, void, undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw usage('FileNotFound', `${path} does not exist`);
    throw runtime('RecordingUnreadable', `cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const chunk = 1 << 20;
    let buf = Buffer.alloc(0);
    let filePos = 0;
    let eof = false;
    /** Offset in the file of buf[0]. */
    let base = 0;
    // Each read goes to a fresh buffer (only the unread tail of the last one is copied over), so
    // the entries handed out can be views into it: nothing is overwritten later.
    const fill = async (need: number): Promise<boolean> => {
      while (buf.length < need && !eof) {
        const more = Buffer.allocUnsafe(Math.max(chunk, need));
        buf.copy(more, 0);
        const { bytesRead } = await fh.read(more, buf.length, more.length - buf.length, filePos);
        if (bytesRead === 0) eof = true;
        filePos += bytesRead;
        buf = more.subarray(0, buf.length + bytesRead);
      }
      return buf.length >= need;
    };
    const consume = (n: number): Buffer => {
      const out = buf.subarray(0, n);
      buf = buf.subarray(n);
      base += n;
      return out;
    };

    if (!(await fill(MAGIC.length)) || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw usage('NotARecording', `${path} is not an atcli firehose recording`, { hint: 'record one with "atcli firehose tail --record <file>"' });
    }
    consume(MAGIC.length);
    for (;;) {
      if (!(await fill(1))) return;
      const offset = base;
      if (!(await fill(ENTRY_HEADER_BYTES))) {
        yield { kind: 'truncated', offset, bytes: buf.length };
        return;
      }
      const kind = buf.readUInt8(0);
      const seqBig = buf.readBigUInt64BE(1);
      const time = Number(buf.readBigUInt64BE(9));
      const length = buf.readUInt32BE(17);
      if (length > MAX_RECORDED_PAYLOAD) {
        throw runtime('CorruptRecording', `${path}: the entry at byte ${offset} claims ${length} bytes (corrupt recording)`);
      }
      if (!(await fill(ENTRY_HEADER_BYTES + length))) {
        yield { kind: 'truncated', offset, bytes: buf.length };
        return;
      }
      consume(ENTRY_HEADER_BYTES);
      const view = consume(length);
      const payload = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      const seq = seqBig === 0n || seqBig >= 2n ** 53n ? null : Number(seqBig);
      switch (kind) {
        case ENTRY_KINDS.binary:
          yield { kind: 'frame', seq, time, data: payload, offset };
          break;
        case ENTRY_KINDS.text:
          yield { kind: 'frame', seq, time, data: Buffer.from(payload).toString('utf8'), offset };
          break;
        case ENTRY_KINDS.key: {
          const j = jsonPayload(payload);
          const did = str(j.did);
          if (did !== null) yield { kind: 'key', did, key: str(j.key), error: str(j.error), offset };
          break;
        }
        case ENTRY_KINDS.session: {
          const j = jsonPayload(payload);
          const cursor = typeof j.cursor === 'number' && Number.isSafeInteger(j.cursor) ? j.cursor : null;
          yield { kind: 'session', url: str(j.url), cursor, startedAt: str(j.startedAt), offset };
          break;
        }
        case ENTRY_KINDS.account: {
          const j = jsonPayload(payload);
          const did = str(j.did);
          if (did === null) break;
          const info = j.info === undefined ? null : parseAccountInfo(j.info, did);
          const error = str(j.error);
          if (info !== null) yield { kind: 'account', did, result: { info }, offset };
          else yield { kind: 'account', did, result: { error: error ?? 'the recording holds an unreadable account entry' }, offset };
          break;
        }
        default:
          // A later version's entry kind: skipped.
          break;
      }
    }
  } finally {
    await fh.close();
  }
}

export interface RecordingSourceOptions {
  /** A key entry (kind 3): the key the live run used for `did`. */
  onKey?: (did: string, result: { key: string } | { error: string }) => void;
  /** An account entry (kind 5). */
  onAccount?: (did: string, result: AccountLookup) => void;
  /** The recording ends with a cut-off entry (ignored). */
  onTruncated?: (offset: number, bytes: number) => void;
  /** Only frames after this seq. */
  after?: number;
}

/**
 * A recording as a frame source for `FirehosePipeline.run`: its frames in order, each with the
 * time it was received; key and account entries are handed to the callbacks as they come (they
 * precede the frames that needed them).
 */
export function recordingSource(path: string, options: RecordingSourceOptions = {}): FrameSource {
  let stop = false;
  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<FrameInput, void, undefined> {
      let passed = options.after === undefined;
      for await (const e of readRecording(path)) {
        if (stop) return;
        switch (e.kind) {
          case 'key':
            options.onKey?.(e.did, e.key !== null ? { key: e.key } : { error: e.error ?? 'unknown error' });
            break;
          case 'account':
            options.onAccount?.(e.did, e.result);
            break;
          case 'truncated':
            options.onTruncated?.(e.offset, e.bytes);
            return;
          case 'frame':
            if (!passed) {
              if (e.seq === null || e.seq <= (options.after as number)) break;
              passed = true;
            }
            yield { data: e.data, receivedAt: e.time };
            break;
          default:
            break;
        }
      }
    },
    close() {
      stop = true;
    },
  };
}
