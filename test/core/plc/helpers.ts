/**
 * Hand-built PLC audit logs, signed in the test with freshly generated keys.
 */
import { generatePrivateKey, type PrivateKey } from '../../../src/core/crypto/index.js';
import { AtcliError } from '../../../src/core/errors.js';
import { PlcDirectoryClient } from '../../../src/core/plc/directory.js';
import type { FetchedLog } from '../../../src/core/plc/submit.js';
import {
  didForGenesis,
  documentFromOperation,
  operationCid,
  signOperation,
  verifyAuditLog,
  type AuditLogEntry,
  type Operation,
  type UnsignedOperation,
  type UnsignedPlcOperation,
} from '../../../src/core/plc/index.js';
import { baseConfig, startServer } from '../net/helpers.js';

export const HOUR_MS = 3_600_000;
export const T0 = Date.parse('2025-03-01T12:00:00.000Z');

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export interface Keys {
  /** Rotation keys in priority order: r0 (p256, highest), r1 (k256), r2 (k256, lowest). */
  r0: PrivateKey;
  r1: PrivateKey;
  r2: PrivateKey;
  signing: PrivateKey;
  attacker: PrivateKey;
}

export function makeKeys(): Keys {
  return {
    r0: generatePrivateKey('p256'),
    r1: generatePrivateKey('k256'),
    r2: generatePrivateKey('k256'),
    signing: generatePrivateKey('k256'),
    attacker: generatePrivateKey('k256'),
  };
}

export function rotationDids(keys: Keys): string[] {
  return [keys.r0.publicKey.did(), keys.r1.publicKey.did(), keys.r2.publicKey.did()];
}

export function atprotoOp(keys: Keys, prev: string | null, handle = 'alice.example.com', pds = 'https://pds.example.com'): UnsignedPlcOperation {
  return {
    type: 'plc_operation',
    rotationKeys: rotationDids(keys),
    verificationMethods: { atproto: keys.signing.publicKey.did() },
    alsoKnownAs: [`at://${handle}`],
    services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: pds } },
    prev,
  };
}

/** A growing audit log for one DID. */
export class LogBuilder {
  readonly entries: AuditLogEntry[] = [];
  did = '';

  /** Sign and append; returns the signed operation's CID. */
  add(op: UnsignedOperation, signer: PrivateKey, createdAtMs: number, nullified = false): string {
    const signed = signOperation(op, signer);
    return this.addSigned(signed, createdAtMs, nullified);
  }

  addSigned(signed: Operation, createdAtMs: number, nullified = false): string {
    if (this.entries.length === 0 && signed.type !== 'plc_tombstone' && signed.prev === null) {
      this.did = didForGenesis(signed);
    }
    const cid = operationCid(signed);
    this.entries.push({ did: this.did, operation: signed, cid, nullified, createdAt: iso(createdAtMs) });
    return cid;
  }

  /** A deep copy of the entries (to doctor without touching the builder). */
  copy(): AuditLogEntry[] {
    return JSON.parse(JSON.stringify(this.entries)) as AuditLogEntry[];
  }
}

/** genesis (signed by r1) → update (r2) → update (r0), a day apart. Returns builder + CIDs. */
export function linearLog(keys: Keys): { log: LogBuilder; cids: string[] } {
  const log = new LogBuilder();
  const c0 = log.add(atprotoOp(keys, null), keys.r1, T0);
  const c1 = log.add(atprotoOp(keys, c0, 'alice2.example.com'), keys.r2, T0 + 24 * HOUR_MS);
  const c2 = log.add(atprotoOp(keys, c1, 'alice3.example.com'), keys.r0, T0 + 48 * HOUR_MS);
  return { log, cids: [c0, c1, c2] };
}

const K256_N = BigInt('0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141');
const P256_N = BigInt('0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551');

function toBig(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function to32(v: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(v.toString(16).padStart(64, '0'), 'hex'));
}

/** The same signature with s replaced by n − s (equally valid ECDSA, but high-S). */
export function highS(sig: Uint8Array, type: 'k256' | 'p256'): Uint8Array {
  const n = type === 'k256' ? K256_N : P256_N;
  const out = new Uint8Array(64);
  out.set(sig.subarray(0, 32), 0);
  out.set(to32(n - toBig(sig.subarray(32, 64))), 32);
  return out;
}

/** DER encoding of a compact r‖s signature. */
export function toDer(sig: Uint8Array): Uint8Array {
  const int = (b: Uint8Array): number[] => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const body = [...b.subarray(i)];
    if (body[0]! & 0x80) body.unshift(0);
    return [0x02, body.length, ...body];
  };
  const r = int(sig.subarray(0, 32));
  const s = int(sig.subarray(32, 64));
  return Uint8Array.from([0x30, r.length + s.length, ...r, ...s]);
}

export function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

export function fromB64url(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'base64url'));
}

/**
 * A loopback PLC directory serving audit logs (and the documents they derive) from memory, for the
 * functions that fetch a log first. Every request is recorded; POSTs are refused.
 */
export async function logDirectory(): Promise<{ client: PlcDirectoryClient; logs: Map<string, AuditLogEntry[]>; requests: string[]; close(): Promise<void> }> {
  const logs = new Map<string, AuditLogEntry[]>();
  const requests: string[] = [];
  const server = await startServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const m = /^\/(did:plc:[a-z2-7]{24})(\/log\/audit)?$/.exec(req.url ?? '');
    const log = m ? logs.get(m[1]!) : undefined;
    res.setHeader('content-type', 'application/json');
    if (req.method !== 'GET' || m === null || log === undefined) {
      res.statusCode = req.method === 'GET' ? 404 : 500;
      res.end(JSON.stringify({ message: `DID not registered: ${m?.[1] ?? '?'}` }));
      return;
    }
    if (m[2] !== undefined) {
      res.end(JSON.stringify(log));
      return;
    }
    const head = verifyAuditLog(m[1]!, log).head;
    if (head?.data == null) {
      res.statusCode = 404;
      res.end(JSON.stringify({ message: `DID not available: ${m[1]}` }));
      return;
    }
    res.end(JSON.stringify(documentFromOperation(m[1]!, head.data)));
  });
  const client = new PlcDirectoryClient({ http: baseConfig({ allowPrivateNetwork: true }), plcUrl: server.url });
  return { client, logs, requests, close: () => server.close() };
}

/** The error `f` throws (which must be an AtcliError). */
export function thrown(f: () => unknown): AtcliError {
  try {
    f();
  } catch (err) {
    if (err instanceof AtcliError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

/** A log as fetched and verified (what the functions judging a new operation take). */
export function fetched(log: LogBuilder, entries: AuditLogEntry[] = log.entries): FetchedLog {
  return { entries, verification: verifyAuditLog(log.did, entries) };
}
