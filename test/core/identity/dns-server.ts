/**
 * A tiny authoritative DNS server over UDP for tests: answers TXT queries from a table,
 * NXDOMAIN for unknown names. Wire format per RFC 1035 §4.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

/** One TXT record = its list of character-strings (each ≤ 255 bytes). */
export type TxtRecord = string[];

export type ZoneEntry =
  | TxtRecord[] // TXT records of the name (empty array = name exists, no TXT → NODATA)
  | 'servfail'
  | 'drop'; // never answer (the client times out)

export interface TestDnsServer {
  /** 'ip:port' for Resolver.setServers */
  server: string;
  port: number;
  zone: Map<string, ZoneEntry>;
  /** Names asked so far (lower-case), in order. */
  queries: string[];
  close(): Promise<void>;
}

const TYPE_TXT = 16;
const CLASS_IN = 1;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;
const RCODE_FORMERR = 1;

interface Question {
  name: string;
  type: number;
  cls: number;
  /** Raw bytes of the question section (echoed back). */
  raw: Buffer;
}

function parseQuery(msg: Buffer): { id: number; flags: number; question: Question } | null {
  if (msg.length < 12) return null;
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  const qdcount = msg.readUInt16BE(4);
  if (qdcount !== 1) return null;
  let off = 12;
  const labels: string[] = [];
  for (;;) {
    if (off >= msg.length) return null;
    const len = msg[off]!;
    off++;
    if (len === 0) break;
    if (len > 63 || off + len > msg.length) return null; // no compression in questions
    labels.push(msg.toString('latin1', off, off + len));
    off += len;
  }
  if (off + 4 > msg.length) return null;
  const type = msg.readUInt16BE(off);
  const cls = msg.readUInt16BE(off + 2);
  off += 4;
  return { id, flags, question: { name: labels.join('.').toLowerCase(), type, cls, raw: msg.subarray(12, off) } };
}

function header(id: number, queryFlags: number, rcode: number, qd: number, an: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  // QR=1, opcode 0, AA=1, RD copied, RA=1
  const rd = queryFlags & 0x0100;
  h.writeUInt16BE(0x8000 | 0x0400 | rd | 0x0080 | rcode, 2);
  h.writeUInt16BE(qd, 4);
  h.writeUInt16BE(an, 6);
  h.writeUInt16BE(0, 8);
  h.writeUInt16BE(0, 10);
  return h;
}

function txtAnswer(record: TxtRecord): Buffer {
  const strings = record.map((s) => {
    const b = Buffer.from(s, 'utf8');
    if (b.length > 255) throw new Error('TXT character-string longer than 255 bytes');
    return Buffer.concat([Buffer.from([b.length]), b]);
  });
  const rdata = Buffer.concat(strings);
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
  rr.writeUInt16BE(TYPE_TXT, 2);
  rr.writeUInt16BE(CLASS_IN, 4);
  rr.writeUInt32BE(60, 6); // TTL
  rr.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([rr, rdata]);
}

function answer(zone: Map<string, ZoneEntry>, msg: Buffer, queries: string[]): Buffer | null {
  const q = parseQuery(msg);
  if (q === null) {
    if (msg.length < 2) return null;
    return header(msg.readUInt16BE(0), 0, RCODE_FORMERR, 0, 0);
  }
  const { id, flags, question } = q;
  queries.push(question.name);
  const entry = zone.get(question.name);
  if (entry === 'drop') return null;
  if (entry === 'servfail') return Buffer.concat([header(id, flags, RCODE_SERVFAIL, 1, 0), question.raw]);
  if (entry === undefined) return Buffer.concat([header(id, flags, RCODE_NXDOMAIN, 1, 0), question.raw]);
  const records = question.type === TYPE_TXT && question.cls === CLASS_IN ? entry : [];
  return Buffer.concat([header(id, flags, 0, 1, records.length), question.raw, ...records.map(txtAnswer)]);
}

export async function startDnsServer(zone: Record<string, ZoneEntry> = {}): Promise<TestDnsServer> {
  const table = new Map<string, ZoneEntry>(Object.entries(zone).map(([k, v]) => [k.toLowerCase(), v]));
  const queries: string[] = [];
  const socket: Socket = createSocket('udp4');
  socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    const out = answer(table, msg, queries);
    if (out !== null) socket.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  return {
    server: `127.0.0.1:${port}`,
    port,
    zone: table,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
