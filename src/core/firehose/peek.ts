/**
 * A cheap look at an event-stream frame: the header (`op`, `t`) and, from the payload map, only
 * `seq`, the account (`repo` or `did`) and `time`, skipping every other value without decoding
 * it. This is what the transport and the dispatcher need (cursor, duplicates, which account a
 * frame belongs to, which key to verify it with); the full strict decode happens later, in a
 * worker. Linear in the frame, no allocation beyond the strings it returns.
 *
 * A frame the scan cannot read returns null; the full decode then reports exactly what is wrong.
 * Nothing here judges validity: a frame that peeks fine may still be invalid.
 */
import { MAX_SEQ_EXCLUSIVE } from './events.js';

export interface FramePeek {
  op: number;
  /** The header's `t`, or null. */
  type: string | null;
  /** A positive safe-integer `seq` of the payload, or null. */
  seq: number | null;
  /** `repo` (#commit) or `did` (other events), when a string. */
  did: string | null;
  /** `time`, when a string. */
  time: string | null;
  /** Where the payload starts. */
  payloadOffset: number;
  /** The frame is exactly two objects: a payload follows the header and nothing follows the payload. */
  complete: boolean;
}

const MAX_DEPTH = 64;
const decoder = new TextDecoder('utf-8', { fatal: true });

class Stop extends Error {}
const STOP = new Stop();

class Scanner {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }

  /** Reads an item head: [major type, argument]. */
  head(): [number, number] {
    const b = this.buf;
    if (this.pos >= b.length) throw STOP;
    const first = b[this.pos++] as number;
    const major = first >> 5;
    const info = first & 0x1f;
    if (info < 24) return [major, info];
    let n: number;
    switch (info) {
      case 24:
        n = 1;
        break;
      case 25:
        n = 2;
        break;
      case 26:
        n = 4;
        break;
      case 27:
        n = 8;
        break;
      default:
        throw STOP;
    }
    if (this.pos + n > b.length) throw STOP;
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + (b[this.pos++] as number);
    return [major, v];
  }

  skip(depth: number): void {
    if (depth > MAX_DEPTH) throw STOP;
    const [major, arg] = this.head();
    switch (major) {
      case 0:
      case 1:
        return;
      case 2:
      case 3:
        if (this.pos + arg > this.buf.length) throw STOP;
        this.pos += arg;
        return;
      case 4:
        for (let i = 0; i < arg; i++) this.skip(depth + 1);
        return;
      case 5:
        for (let i = 0; i < arg; i++) {
          this.skip(depth + 1);
          this.skip(depth + 1);
        }
        return;
      case 6:
        this.skip(depth + 1);
        return;
      default:
        // Simple values and floats: the head already consumed their bytes.
        return;
    }
  }

  text(): string | null {
    const start = this.pos;
    const [major, arg] = this.head();
    if (major !== 3) {
      this.pos = start;
      this.skip(0);
      return null;
    }
    if (this.pos + arg > this.buf.length) throw STOP;
    const s = this.textAt(this.pos, arg);
    this.pos += arg;
    return s;
  }

  textAt(at: number, len: number): string | null {
    const b = this.buf;
    let ascii = len <= 64;
    for (let i = 0; ascii && i < len; i++) if ((b[at + i] as number) >= 0x80) ascii = false;
    if (ascii) return String.fromCharCode.apply(null, b.subarray(at, at + len) as unknown as number[]);
    try {
      return decoder.decode(b.subarray(at, at + len));
    } catch {
      return null;
    }
  }

  /** A map key equal to `name` (ASCII), consuming it; false (and nothing consumed) otherwise. */
  keyIs(name: string, at: number, len: number): boolean {
    if (len !== name.length) return false;
    for (let i = 0; i < len; i++) if (this.buf[at + i] !== name.charCodeAt(i)) return false;
    return true;
  }

  int(): number | null {
    const start = this.pos;
    const [major, arg] = this.head();
    if (major === 0) return arg;
    this.pos = start;
    this.skip(0);
    return null;
  }
}

/** Peek at a binary frame (see the module comment). */
export function peekFrame(bytes: Uint8Array): FramePeek | null {
  try {
    const s = new Scanner(bytes, 0);
    const [hm, hn] = s.head();
    if (hm !== 5) return null;
    let op: number | null = null;
    let type: string | null = null;
    for (let i = 0; i < hn; i++) {
      const [km, kn] = s.head();
      if (km !== 3 || s.pos + kn > bytes.length) return null;
      const at = s.pos;
      s.pos += kn;
      if (s.keyIs('op', at, kn)) {
        const [vm, vn] = s.head();
        if (vm === 0) op = vn;
        else if (vm === 1) op = -1 - vn;
        else return null;
      } else if (s.keyIs('t', at, kn)) {
        type = s.text();
      } else {
        s.skip(0);
      }
    }
    if (op === null) return null;
    const payloadOffset = s.pos;
    let seq: number | null = null;
    let did: string | null = null;
    let time: string | null = null;
    let complete = false;
    if (s.pos < bytes.length) {
      const [pm, pn] = s.head();
      if (pm === 5) {
        for (let i = 0; i < pn; i++) {
          const [km, kn] = s.head();
          if (km !== 3 || s.pos + kn > bytes.length) return null;
          const at = s.pos;
          s.pos += kn;
          if (s.keyIs('seq', at, kn)) {
            const v = s.int();
            seq = v !== null && v >= 1 && v < MAX_SEQ_EXCLUSIVE ? v : null;
          } else if (s.keyIs('repo', at, kn) || s.keyIs('did', at, kn)) {
            const v = s.text();
            if (v !== null && v.length <= 2048) did = v;
          } else if (s.keyIs('time', at, kn)) {
            time = s.text();
          } else {
            s.skip(0);
          }
        }
      } else {
        s.pos = payloadOffset;
        s.skip(0);
      }
      complete = s.pos === bytes.length;
    }
    return { op, type, seq, did, time, payloadOffset, complete };
  } catch (err) {
    if (err === STOP) return null;
    throw err;
  }
}
