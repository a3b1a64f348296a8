// Hostile servers on loopback for the hostile-input suite, and a runner that measures the built
// CLI from outside: wall time, and peak resident memory read from /proc/<pid>/status (VmHWM).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cidForCbor, encodeUvarint } from '../../src/core/codec/index.js';
import { BIN, cliEnv, tempDir } from '../cli/run-cli.js';

export interface Measured {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Peak resident set size in MB (VmHWM), 0 where /proc is not available. */
  peakRssMb: number;
  ms: number;
}

const KEEP_OUTPUT = 16 << 20;

function peakRss(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `atcli …args` as a subprocess. Kills it after `killAfterMs` (the result then has
 * signal SIGKILL), so a hang shows as a failed bound instead of a stuck suite.
 */
export function runMeasured(args: string[], opts: { killAfterMs?: number; input?: string } = {}): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const scratch = tempDir('atcli-hostile-home-');
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv({}, scratch), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < KEEP_OUTPUT) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < KEEP_OUTPUT) stderr += d;
    });
    const poll = setInterval(() => {
      if (child.pid !== undefined) peak = Math.max(peak, peakRss(child.pid) ?? 0);
    }, 25);
    const killer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 60_000);
    child.on('error', reject);
    child.on('exit', () => {
      clearInterval(poll);
    });
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, peakRssMb: Math.round(peak), ms: Math.round(performance.now() - started) });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** The `--json` error line of a run, or undefined. */
export function jsonError(r: Measured): { code: string; message: string; details?: Record<string, unknown> } | undefined {
  const last = r.stderr.trim().split('\n').pop() ?? '';
  try {
    return (JSON.parse(last) as { error: { code: string; message: string; details?: Record<string, unknown> } }).error;
  } catch {
    return undefined;
  }
}

export interface HostileServer {
  url: string;
  port: number;
  /** Requests seen, as "METHOD path". */
  requests: string[];
  close(): Promise<void>;
}

export async function startHostile(handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): Promise<HostileServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    Promise.resolve(handler(req, res)).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes `chunk`, waiting for the socket to drain; false once the client has gone. */
export async function writeWithBackPressure(res: ServerResponse, chunk: Uint8Array): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  if (res.write(chunk)) return true;
  await Promise.race([once(res, 'drain'), once(res, 'close')]);
  return !res.destroyed;
}

/** Resolves when the client goes away (or after `ms`). */
export function untilClosed(res: ServerResponse, ms = 120_000): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    res.on('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/**
 * A CAR section holding a distinct, hash-valid block shaped like an MST node (`{e: bytes, l:
 * null}`), about `size` bytes: the kind of block a verifier sets aside in full.
 */
export function junkNodeSection(i: number, size: number): Uint8Array {
  const payload = size - 12;
  const bytes = new Uint8Array(payload + 12);
  bytes.set([0xa2, 0x61, 0x65, 0x5a], 0);
  new DataView(bytes.buffer).setUint32(4, payload);
  new DataView(bytes.buffer).setUint32(8, i);
  bytes.fill(0x6a, 12, 8 + payload);
  bytes.set([0x61, 0x6c, 0xf6], 8 + payload);
  const cid = cidForCbor(bytes.subarray(0, 8 + payload + 3));
  const block = bytes.subarray(0, 8 + payload + 3);
  const length = encodeUvarint(cid.bytes.length + block.length);
  const out = new Uint8Array(length.length + cid.bytes.length + block.length);
  out.set(length, 0);
  out.set(cid.bytes, length.length);
  out.set(block, length.length + cid.bytes.length);
  return out;
}

/** A did:plc for a test name: 24 base32 characters. */
export function testDid(name: string): string {
  const body = name.toLowerCase().replace(/[^a-z2-7]/g, '').slice(0, 24).padEnd(24, 'a');
  return `did:plc:${body}`;
}

export function didDocument(did: string, opts: { pds?: string; publicKeyMultibase?: string }): Record<string, unknown> {
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod:
      opts.publicKeyMultibase === undefined ? [] : [{ id: `${did}#atproto`, type: 'Multikey', controller: did, publicKeyMultibase: opts.publicKeyMultibase }],
    service: opts.pds === undefined ? [] : [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: opts.pds }],
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
