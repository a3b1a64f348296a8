/**
 * Timestamp identifiers (spec: tid): a 64-bit integer (top bit 0, 53 bits of
 * microseconds since the UNIX epoch, 10-bit clock id) in base32-sortable, 13 chars.
 */
import { usage } from '../errors.js';
import { describeChar, show } from './describe.js';

const ALPHABET = '234567abcdefghijklmnopqrstuvwxyz';
const TID_LENGTH = 13;
const TID_RE = /^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/;
const MAX_MICROS = 2n ** 53n - 1n;
const CLOCK_BITS = 10n;
const CLOCK_MASK = 1023n;

const DECODE: Record<string, bigint> = Object.create(null) as Record<string, bigint>;
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET[i] as string] = BigInt(i);

/** Returns null when `s` is a syntactically valid TID, else a short reason. */
export function checkTid(s: string): string | null {
  if (typeof s !== 'string') return 'TID must be a string';
  if (TID_RE.test(s)) return null;
  for (const ch of s) {
    if (!ALPHABET.includes(ch)) {
      if (ch === '-') return "TID contains '-' (the old dashed syntax is not supported)";
      return `TID contains ${describeChar(ch)} (allowed: 2-7 and lowercase a-z)`;
    }
  }
  if (s.length !== TID_LENGTH) return `TID is ${s.length} characters long (must be exactly ${TID_LENGTH})`;
  return `TID starts with '${s[0] ?? ''}' (must be one of 234567abcdefghij: the top bit must be 0)`;
}

export function isValidTid(s: string): boolean {
  return checkTid(s) === null;
}

function encode(value: bigint): string {
  let out = '';
  let v = value;
  for (let i = 0; i < TID_LENGTH; i++) {
    out = ALPHABET[Number(v & 31n)] + out;
    v >>= 5n;
  }
  return out;
}

function toBigInt(x: number | bigint, what: string): bigint {
  if (typeof x === 'bigint') return x;
  if (typeof x !== 'number' || !Number.isInteger(x)) {
    throw usage('InvalidTid', `${what} must be an integer, got ${String(x)}`);
  }
  return BigInt(x);
}

/** Build the TID for a timestamp (microseconds since the epoch) and a clock id (0–1023). */
export function tidFromTime(microseconds: number | bigint, clockId: number): string {
  const micros = toBigInt(microseconds, 'TID timestamp');
  if (micros < 0n || micros > MAX_MICROS) {
    throw usage('InvalidTid', `TID timestamp ${micros} is outside 0..2^53-1 microseconds`);
  }
  const clock = toBigInt(clockId, 'TID clock id');
  if (clock < 0n || clock > CLOCK_MASK) {
    throw usage('InvalidTid', `TID clock id ${clock} is outside 0..1023`);
  }
  return encode((micros << CLOCK_BITS) | clock);
}

export interface TidInfo {
  tid: string;
  /** Microseconds since the UNIX epoch. */
  timestampMicros: number;
  /** The timestamp as RFC 3339 UTC with microseconds, e.g. `2023-06-14T00:47:21.123456Z`. */
  date: string;
  clockId: number;
}

/** Decode a TID. Throws AtcliError usage `InvalidTid` with the reason. */
export function inspectTid(s: string): TidInfo {
  const reason = checkTid(s);
  if (reason !== null) {
    throw usage('InvalidTid', `invalid TID ${show(s)}: ${reason}`, {
      hint: 'A TID is 13 characters of base32-sortable (2-7, a-z), like 3jzfcijpj2z2a',
    });
  }
  let v = 0n;
  for (const ch of s) v = (v << 5n) | (DECODE[ch] as bigint);
  if (v >> 63n !== 0n) {
    throw usage('InvalidTid', `invalid TID ${show(s)}: the top bit is set`);
  }
  const micros = Number(v >> CLOCK_BITS);
  const clockId = Number(v & CLOCK_MASK);
  return { tid: s, timestampMicros: micros, date: microsToRfc3339(micros), clockId };
}

function microsToRfc3339(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const subMicros = micros - ms * 1000;
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, -1)}${String(subMicros).padStart(3, '0')}Z`;
}

let lastMicros = -1;
let clockIdForProcess: number | undefined;

function randomClockId(): number {
  const buf = new Uint16Array(1);
  globalThis.crypto.getRandomValues(buf);
  return (buf[0] as number) & 1023;
}

/**
 * A new TID for the current time. Strictly increasing within the process: when the
 * clock has not advanced (or went backwards) the timestamp is bumped by 1 µs. The
 * clock id is chosen at random once per process.
 */
export function generateTid(): string {
  clockIdForProcess ??= randomClockId();
  let now = Date.now() * 1000;
  if (now <= lastMicros) now = lastMicros + 1;
  lastMicros = now;
  return tidFromTime(now, clockIdForProcess);
}

/**
 * Orders two TIDs (such as repository revs) by time: their base32-sortable text compares the same
 * way as the timestamps they encode. Negative when `a` is earlier.
 */
export function compareTids(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
