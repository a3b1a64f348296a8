/**
 * Firehose recordings: the raw frames `firehose tail` received, so replay can feed them through
 * the same pipeline offline and print the same output. The format and the verdicts on damaged
 * files are in docs/firehose-recording.md.
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
 *
 * `seq` is the frame's sequence number, 0 when it has none (`#info`, text, undecodable frames) and
 * for kinds 3 and 4. `time` is when atcli received the frame (ms since the Unix epoch); replay
 * checks "rev in the future" against it. Frames are recorded in processing order after duplicates
 * were dropped, so the file holds each seq once. Each entry is appended with one write. Unknown
 * kinds are skipped, so later versions can add entry kinds (within the same size limits).
 *
 * The file is only created when the first entry is written (a connection that fails leaves
 * nothing behind). A reader treats every kind of damage the same way: invalid
 * 'CorruptRecording' naming the byte offset of the damaged entry, after the entries before it.
 */
import { constants } from 'node:fs';
import { access, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { invalid, runtime, usage } from '../errors.js';

export const RECORDING_MAGIC = 'ATCLIFH1';
const MAGIC = Buffer.from(RECORDING_MAGIC, 'ascii');
const ENTRY_HEADER_BYTES = 1 + 8 + 8 + 4;
/**
 * The largest frame entry (kinds 1 and 2): above the transport's default limit of 10 MB per
 * WebSocket message. A larger length is damage.
 */
export const MAX_RECORDED_FRAME = 16 * 1024 * 1024;
/** The largest key or session entry (kinds 3 and 4, and unknown kinds): small JSON. */
export const MAX_RECORDED_NOTE = 64 * 1024;

export const ENTRY_KINDS = { binary: 1, text: 2, key: 3, session: 4 } as const;

export type RecordingEntry =
  | { kind: 'frame'; seq: number | null; time: number; data: Uint8Array | string; offset: number }
  | { kind: 'key'; did: string; key: string | null; error: string | null; offset: number }
  | { kind: 'session'; url: string | null; cursor: number | null; startedAt: string | null; offset: number }
  /**
   * @deprecated Never produced any more: a cut-off entry is damage like any other and throws
   * 'CorruptRecording'. Kept only until callers stop testing for it.
   */
  | { kind: 'truncated'; offset: number; bytes: number };

function maxPayload(kind: number): number {
  return kind === ENTRY_KINDS.binary || kind === ENTRY_KINDS.text ? MAX_RECORDED_FRAME : MAX_RECORDED_NOTE;
}

function entry(kind: number, seq: number | null, time: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(ENTRY_HEADER_BYTES + payload.length);
  out.writeUInt8(kind, 0);
  out.writeBigUInt64BE(BigInt(seq ?? 0), 1);
  out.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(time))), 9);
  out.writeUInt32BE(payload.length, 17);
  out.set(payload, ENTRY_HEADER_BYTES);
  return out;
}

/**
 * Appends entries to a recording: a new file is created with the first entry (never empty, never
 * just the magic); an existing recording is continued. Writes are serialised.
 */
export class FrameRecorder {
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private fh: FileHandle | undefined;

  private constructor(
    readonly path: string,
    private readonly exists: boolean,
  ) {}

  /**
   * Checks that `path` can hold a recording: an existing recording (it will be continued), or a
   * new file in an existing, writable directory. Nothing is created yet.
   */
  static async open(path: string): Promise<FrameRecorder> {
    const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw runtime('RecordingUnwritable', `cannot use ${path} for recording: ${err.code ?? err.message}`);
    });
    if (info === undefined) {
      try {
        await access(dirname(path), constants.W_OK);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw usage('RecordingUnwritable', code === 'ENOENT' ? `cannot record to ${path}: its folder does not exist` : `cannot record to ${path}: ${code ?? 'not writable'}`);
      }
      return new FrameRecorder(path, false);
    }
    if (!info.isFile()) throw usage('NotARecording', `${path} exists and is not a file`);
    const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
      throw runtime('RecordingUnwritable', `cannot open ${path}: ${err.code ?? err.message}`);
    });
    try {
      const head = Buffer.alloc(MAGIC.length);
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      if (bytesRead !== MAGIC.length || !head.equals(MAGIC)) {
        throw usage('NotARecording', `${path} exists and is not an atcli firehose recording (an existing recording is appended to)`);
      }
    } finally {
      await fh.close();
    }
    return new FrameRecorder(path, true);
  }

  private async handle(): Promise<FileHandle> {
    if (this.fh !== undefined) return this.fh;
    try {
      // 'wx': a file that appeared since open() is not overwritten.
      this.fh = await open(this.path, this.exists ? 'a' : 'wx');
    } catch (err) {
      throw runtime('RecordingUnwritable', `cannot open ${this.path} for recording: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (!this.exists) await this.fh.write(MAGIC);
    return this.fh;
  }

  private append(buf: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(runtime('RecordingClosed', `the recording ${this.path} is closed`));
    this.chain = this.chain.then(async () => {
      const fh = await this.handle();
      let offset = 0;
      while (offset < buf.length) {
        const { bytesWritten } = await fh.write(buf, offset, buf.length - offset);
        offset += bytesWritten;
      }
    });
    return this.chain;
  }

  /** A WebSocket message as received (binary or text). */
  frame(data: Uint8Array | string, seq: number | null, time: number): Promise<void> {
    const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (payload.length > MAX_RECORDED_FRAME) {
      return Promise.reject(runtime('FrameTooLargeToRecord', `a frame of ${payload.length} bytes is larger than a recording holds (${MAX_RECORDED_FRAME} bytes)`));
    }
    return this.append(entry(typeof data === 'string' ? ENTRY_KINDS.text : ENTRY_KINDS.binary, seq, time, payload));
  }

  key(did: string, result: { key: string } | { error: string }, time = Date.now()): Promise<void> {
    return this.append(entry(ENTRY_KINDS.key, null, time, Buffer.from(JSON.stringify({ did, ...result }), 'utf8')));
  }

  session(info: { url: string; cursor: number | null }, time = Date.now()): Promise<void> {
    const body = { url: info.url, cursor: info.cursor, startedAt: new Date(time).toISOString() };
    return this.append(entry(ENTRY_KINDS.session, null, time, Buffer.from(JSON.stringify(body), 'utf8')));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const fh = this.fh;
    try {
      await this.chain;
      await fh?.sync();
    } finally {
      await fh?.close();
    }
  }
}

/** The JSON object of a key or session entry, or null when the payload is not one. */
function jsonPayload(bytes: Uint8Array): Record<string, unknown> | null {
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * Reads a recording entry by entry. Any damage — a wrong magic, an entry cut off, a length beyond
 * the file or beyond the entry limits — throws invalid 'CorruptRecording' (after the entries
 * before it were yielded) naming the byte offset. A missing file is usage 'FileNotFound'.
 */
export async function* readRecording(path: string): AsyncGenerator<RecordingEntry, void, undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw usage('FileNotFound', `${path} does not exist`);
    throw runtime('RecordingUnreadable', `cannot read ${path}: ${(err as Error).message}`);
  }
  const corrupt = (offset: number, what: string) =>
    invalid('CorruptRecording', `${path} is damaged at byte ${offset}: ${what}`, { details: { path, offset } });
  try {
    const size = (await fh.stat()).size;
    const chunk = 1 << 20;
    let buf = Buffer.alloc(0);
    let filePos = 0;
    let eof = false;
    /** Offset in the file of buf[0]. */
    let base = 0;
    const fill = async (need: number): Promise<boolean> => {
      while (buf.length < need && !eof) {
        const more = Buffer.allocUnsafe(Math.max(chunk, need - buf.length));
        const { bytesRead } = await fh.read(more, 0, more.length, filePos);
        if (bytesRead === 0) eof = true;
        filePos += bytesRead;
        buf = buf.length === 0 ? more.subarray(0, bytesRead) : Buffer.concat([buf, more.subarray(0, bytesRead)]);
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
      throw invalid('NotARecording', `${path} is not an atcli firehose recording: it does not start with "${RECORDING_MAGIC}" (damaged at byte 0)`, { details: { path, offset: 0 } });
    }
    consume(MAGIC.length);
    for (;;) {
      if (!(await fill(1))) return;
      const offset = base;
      if (!(await fill(ENTRY_HEADER_BYTES))) {
        throw corrupt(offset, `the last entry is cut off (${buf.length} bytes of a ${ENTRY_HEADER_BYTES}-byte entry header)`);
      }
      const kind = buf.readUInt8(0);
      const seqBig = buf.readBigUInt64BE(1);
      const time = Number(buf.readBigUInt64BE(9));
      const length = buf.readUInt32BE(17);
      if (length > maxPayload(kind)) {
        throw corrupt(offset, `the entry claims ${length} bytes, more than an entry of kind ${kind} may hold (${maxPayload(kind)})`);
      }
      if (offset + ENTRY_HEADER_BYTES + length > size) {
        throw corrupt(offset, `the entry claims ${length} bytes, but only ${size - offset - ENTRY_HEADER_BYTES} follow its header (cut off)`);
      }
      if (!(await fill(ENTRY_HEADER_BYTES + length))) {
        throw corrupt(offset, 'the file ended while it was read (it changed during replay)');
      }
      consume(ENTRY_HEADER_BYTES);
      // Copy: the buffer is reused as the file is read.
      const payload = new Uint8Array(consume(length));
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
          const did = str(j?.did);
          if (j === null || did === null || (str(j.key) === null && str(j.error) === null)) throw corrupt(offset, 'a key entry is not {"did", "key" or "error"} JSON');
          yield { kind: 'key', did, key: str(j.key), error: str(j.error), offset };
          break;
        }
        case ENTRY_KINDS.session: {
          const j = jsonPayload(payload);
          if (j === null) throw corrupt(offset, 'a session entry is not a JSON object');
          const cursor = typeof j.cursor === 'number' && Number.isSafeInteger(j.cursor) ? j.cursor : null;
          yield { kind: 'session', url: str(j.url), cursor, startedAt: str(j.startedAt), offset };
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
