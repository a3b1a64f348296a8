/**
 * DNS TXT look-ups for `_atproto.<handle>` with a hard deadline.
 */
import { Resolver } from 'node:dns/promises';
import { usage } from '../errors.js';

export type TxtOutcome =
  | { kind: 'records'; records: string[] } // each record's character-strings joined
  | { kind: 'none'; detail: string } // NXDOMAIN / no TXT records: a definitive "not here"
  | { kind: 'error'; detail: string }; // SERVFAIL, timeout, refused…: retryable

export interface TxtOptions {
  servers?: string[];
  timeoutMs: number;
  signal?: AbortSignal;
}

const NOT_FOUND_CODES = new Set(['ENOTFOUND', 'ENODATA']);

function describeDnsError(code: string | undefined): string {
  switch (code) {
    case 'ESERVFAIL':
      return 'SERVFAIL from the DNS server';
    case 'ETIMEOUT':
      return 'DNS query timed out';
    case 'ECONNREFUSED':
      return 'DNS server refused the connection';
    case 'EREFUSED':
      return 'DNS server refused the query';
    case 'ECANCELLED':
      return 'DNS query cancelled';
    case 'EBADRESP':
    case 'EFORMERR':
      return 'malformed DNS response';
    default:
      return `DNS error ${code ?? 'unknown'}`;
  }
}

/** Throw usage 'InvalidDnsServer' unless every entry is 'ip', 'ip:port' or '[v6]:port'. */
export function checkDnsServers(servers: string[]): void {
  try {
    new Resolver().setServers(servers);
  } catch (err) {
    throw usage('InvalidDnsServer', `invalid DNS server setting ${JSON.stringify(servers.join(','))}: ${(err as Error).message}`, {
      hint: "Give DNS servers as IP addresses: '1.1.1.1', '127.0.0.1:5353' or '[::1]:53'.",
    });
  }
}

/**
 * Resolve TXT records of `name`. Look-up failures are reported as outcomes so that the caller
 * can tell "no such record" from "could not ask"; only a malformed server list throws (usage).
 */
export async function lookupTxt(name: string, opts: TxtOptions): Promise<TxtOutcome> {
  const timeoutMs = Math.max(1, opts.timeoutMs);
  // c-ares retries with backoff; give it two tries inside our own total deadline.
  const resolver = new Resolver({ timeout: Math.max(100, Math.floor(timeoutMs / 2)), tries: 2 });
  if (opts.servers !== undefined && opts.servers.length > 0) {
    // A configuration mistake, not a property of the handle: throws.
    checkDnsServers(opts.servers);
    resolver.setServers(opts.servers);
  }
  if (opts.signal?.aborted === true) return { kind: 'error', detail: 'DNS query cancelled' };

  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<TxtOutcome>((resolve) => {
    timer = setTimeout(() => {
      resolver.cancel();
      resolve({ kind: 'error', detail: `DNS query timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    if (opts.signal !== undefined) {
      onAbort = () => {
        resolver.cancel();
        resolve({ kind: 'error', detail: 'DNS query cancelled' });
      };
      opts.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  const query = resolver.resolveTxt(name).then(
    (rows): TxtOutcome => ({ kind: 'records', records: rows.map((chunks) => chunks.join('')) }),
    (err: unknown): TxtOutcome => {
      const code = (err as { code?: string }).code;
      if (code !== undefined && NOT_FOUND_CODES.has(code)) {
        return { kind: 'none', detail: code === 'ENODATA' ? `no TXT record at ${name}` : `${name} does not exist (NXDOMAIN)` };
      }
      return { kind: 'error', detail: describeDnsError(code) };
    },
  );
  try {
    return await Promise.race([query, deadline]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (onAbort !== undefined) opts.signal?.removeEventListener('abort', onAbort);
  }
}
