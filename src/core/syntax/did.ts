/**
 * DIDs (spec: did). Generic syntax is method-agnostic; did:plc and
 * did:web have their own stricter checks.
 */
import { usage } from '../errors.js';
import { describeChar, quote, show, whitespaceEdge } from './describe.js';
import { DISALLOWED_HANDLE_TLDS, checkHandle } from './handle.js';

export const DID_MAX_LENGTH = 2048;

const DID_RE = /^did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]$/;
const METHOD_RE = /^[a-z]+$/;
const ID_CHAR_RE = /^[a-zA-Z0-9._:%-]$/;
const DID_PLC_RE = /^did:plc:[a-z2-7]{24}$/;
const BASE32_CHAR_RE = /^[a-z2-7]$/;
const PORT_RE = /^[1-9][0-9]{0,4}$/;

/** Returns null when `s` is a syntactically valid DID (any method), else a short reason. */
export function checkDid(s: string): string | null {
  if (typeof s !== 'string') return 'DID must be a string';
  if (s.length > DID_MAX_LENGTH) return `DID is ${s.length} characters long (max ${DID_MAX_LENGTH})`;
  if (DID_RE.test(s)) return null;
  return explainDid(s);
}

function explainDid(s: string): string {
  if (s.length === 0) return 'DID is empty';
  const ws = whitespaceEdge(s);
  if (ws) return `DID ${ws}`;
  if (!s.startsWith('did:')) {
    if (s.toLowerCase().startsWith('did:')) return "DID must start with lowercase 'did:'";
    return "DID must start with 'did:'";
  }
  const rest = s.slice(4);
  const colon = rest.indexOf(':');
  if (colon < 0) return "DID needs a method and an identifier ('did:<method>:<id>')";
  const method = rest.slice(0, colon);
  if (method.length === 0) return 'DID method is empty';
  if (!METHOD_RE.test(method)) return `DID method ${quote(method)} must be lowercase letters only`;
  const id = rest.slice(colon + 1);
  if (id.length === 0) return 'DID identifier is empty';
  for (const ch of id) {
    if (!ID_CHAR_RE.test(ch)) {
      if (ch === '?' || ch === '#' || ch === '/') {
        return `DID contains ${describeChar(ch)} (paths, queries and fragments are not allowed)`;
      }
      return `DID contains ${describeChar(ch)} (allowed: letters, digits and . _ : % -)`;
    }
  }
  const last = id[id.length - 1];
  if (last === ':') return "DID must not end with ':'";
  if (last === '%') return "DID must not end with '%'";
  return 'not a valid DID';
}

export function isValidDid(s: string): boolean {
  return checkDid(s) === null;
}

/** The method of a syntactically valid DID (`plc` for `did:plc:…`), or null if `did` is not a DID. */
export function didMethod(did: string): string | null {
  if (checkDid(did) !== null) return null;
  return did.slice(4, did.indexOf(':', 4));
}

/** Returns null when `s` is a well-formed did:plc (`did:plc:` + 24 base32 chars), else a reason. */
export function checkDidPlc(s: string): string | null {
  if (typeof s !== 'string') return 'DID must be a string';
  if (DID_PLC_RE.test(s)) return null;
  if (!s.startsWith('did:plc:')) return "did:plc DIDs start with 'did:plc:'";
  const id = s.slice(8);
  for (const ch of id) {
    if (!BASE32_CHAR_RE.test(ch)) {
      return `did:plc identifier contains ${describeChar(ch)} (only a-z and 2-7 are allowed)`;
    }
  }
  return `did:plc identifier is ${id.length} characters long (must be exactly 24)`;
}

export interface DidWebOptions {
  /** Allow `did:web:localhost` and `did:web:localhost%3A<port>` (development only). */
  allowLocalhostPort?: boolean;
  /** Allow hosts under the `.test` TLD (development only). */
  allowTest?: boolean;
}

export interface DidWebHost {
  host: string;
  port?: number;
}

/**
 * Parse a did:web into the host to fetch `/.well-known/did.json` from (invariant I2).
 * Only hostname-level DIDs are supported: no paths (`:`), and no percent-encoding except
 * `%3A<port>` after `localhost` when `allowLocalhostPort` is set. The host must pass handle
 * syntax and must not use a TLD that is refused for handles.
 *
 * Throws AtcliError usage `InvalidDid` (not a did:web DID) or `UnsupportedDidWeb`.
 */
export function parseDidWeb(did: string, options: DidWebOptions = {}): DidWebHost {
  const syntax = checkDid(did);
  if (syntax !== null) {
    throw usage('InvalidDid', `invalid DID ${show(did)}: ${syntax}`);
  }
  if (!did.startsWith('did:web:')) {
    throw usage('InvalidDid', `${show(did)} is not a did:web DID`);
  }
  const id = did.slice('did:web:'.length);
  const unsupported = (reason: string): never => {
    throw usage('UnsupportedDidWeb', `unsupported did:web ${show(did)}: ${reason}`, {
      hint: 'atproto only supports hostname-level did:web DIDs, like did:web:example.com',
    });
  };

  if (id.includes(':')) unsupported("path-based did:web (extra ':' segments) is not supported");

  let hostPart = id;
  let port: number | undefined;
  const pct = id.indexOf('%');
  if (pct >= 0) {
    const before = id.slice(0, pct);
    const after = id.slice(pct);
    if (!after.startsWith('%3A') || after.indexOf('%', 1) >= 0) {
      unsupported("percent-encoding is not allowed except '%3A' before a localhost port");
    }
    if (before !== 'localhost') unsupported('a port is only allowed for localhost');
    if (!options.allowLocalhostPort) unsupported('localhost with a port is only allowed in development');
    const portText = after.slice(3);
    if (!PORT_RE.test(portText) || Number(portText) > 65535) {
      unsupported(`port ${JSON.stringify(portText)} is not a number from 1 to 65535`);
    }
    hostPart = before;
    port = Number(portText);
  }

  if (hostPart === 'localhost') {
    if (!options.allowLocalhostPort) unsupported('localhost is only allowed in development');
    return port === undefined ? { host: hostPart } : { host: hostPart, port };
  }

  const hostReason = checkHandle(hostPart);
  if (hostReason !== null) unsupported(`host is not a valid hostname: ${hostReason}`);
  const host = hostPart.toLowerCase();
  if (host !== hostPart) unsupported('host must be lowercase');
  const tld = host.slice(host.lastIndexOf('.'));
  if (DISALLOWED_HANDLE_TLDS.includes(tld)) unsupported(`the ${tld} top-level domain is not allowed`);
  if (tld === '.test' && !options.allowTest) {
    unsupported('the .test top-level domain is only for local development');
  }
  return { host };
}
