/**
 * Compact structures for indexing a million blocks while a repository streams past.
 *
 * `CidIndex` maps CID keys ({@link Cid.key}, the latin1 string of the binary CID) to small
 * integers. Blessed CIDs (CIDv1, dag-cbor, sha2-256) are stored as their 32-byte digest in one
 * pooled Uint8Array with open addressing on the first digest bytes, values in an Int32Array:
 * about 45 bytes per entry instead of a retained 36-character string plus a Map entry (120–150
 * bytes). Any other CID falls back to a Map.
 *
 * `ByteArena` packs many small copies into 1 MiB slabs, so a quarter of a million MST nodes do
 * not each carry their own backing store.
 */

const BLESSED_PREFIX = [0x01, 0x71, 0x12, 0x20];

function isBlessedKey(k: string): boolean {
  return k.length === 36 && k.charCodeAt(0) === BLESSED_PREFIX[0] && k.charCodeAt(1) === BLESSED_PREFIX[1] && k.charCodeAt(2) === BLESSED_PREFIX[2] && k.charCodeAt(3) === BLESSED_PREFIX[3];
}

export class CidIndex {
  /** Open-addressing table: 0 = empty, else 1 + entry index. Kept at most half full. */
  private slots = new Int32Array(1 << 15);
  private digests = new Uint8Array(32 << 14);
  private values = new Int32Array(1 << 14);
  private count = 0;
  private readonly other = new Map<string, number>();

  get size(): number {
    return this.count + this.other.size;
  }

  get(key: string): number | undefined {
    if (!isBlessedKey(key)) return this.other.get(key);
    const i = this.find(key);
    return i >= 0 ? this.values[i] : undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: number): void {
    if (!isBlessedKey(key)) {
      this.other.set(key, value);
      return;
    }
    let i = this.find(key);
    if (i >= 0) {
      this.values[i] = value;
      return;
    }
    if (this.count === this.values.length) this.growEntries();
    if ((this.count + 1) * 2 > this.slots.length) {
      this.rehash(this.slots.length * 2);
      i = this.find(key);
    }
    const index = this.count++;
    const base = index * 32;
    for (let j = 0; j < 32; j++) this.digests[base + j] = key.charCodeAt(4 + j);
    this.values[index] = value;
    this.slots[-1 - i] = index + 1;
  }

  /** Entry index of `key`, or -1 - (the empty slot where it would go). */
  private find(key: string): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    const d = this.digests;
    let h = (key.charCodeAt(4) | (key.charCodeAt(5) << 8) | (key.charCodeAt(6) << 16) | (key.charCodeAt(7) << 24)) & mask;
    for (;;) {
      const s = slots[h] as number;
      if (s === 0) return -1 - h;
      const base = (s - 1) * 32;
      let j = 0;
      while (j < 32 && d[base + j] === key.charCodeAt(4 + j)) j++;
      if (j === 32) return s - 1;
      h = (h + 1) & mask;
    }
  }

  private growEntries(): void {
    const digests = new Uint8Array(this.digests.length * 2);
    digests.set(this.digests);
    this.digests = digests;
    const values = new Int32Array(this.values.length * 2);
    values.set(this.values);
    this.values = values;
  }

  private rehash(size: number): void {
    const slots = new Int32Array(size);
    const mask = size - 1;
    const d = this.digests;
    for (let index = 0; index < this.count; index++) {
      const b = index * 32;
      let h = ((d[b] as number) | ((d[b + 1] as number) << 8) | ((d[b + 2] as number) << 16) | ((d[b + 3] as number) << 24)) & mask;
      while (slots[h] !== 0) h = (h + 1) & mask;
      slots[h] = index + 1;
    }
    this.slots = slots;
  }
}

const SLAB_BYTES = 1 << 20;

export class ByteArena {
  private slab = new Uint8Array(0);
  private used = 0;

  /** A copy of `bytes` that shares a slab with other copies (large inputs get their own). */
  copy(bytes: Uint8Array): Uint8Array {
    if (bytes.length > SLAB_BYTES >> 2) return bytes.slice();
    if (this.used + bytes.length > this.slab.length) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.used = 0;
    }
    const out = this.slab.subarray(this.used, this.used + bytes.length);
    out.set(bytes);
    this.used += bytes.length;
    return out;
  }
}
