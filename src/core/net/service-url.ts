/**
 * The base URL of an atproto service as a user writes it: `https://pds.example.com`, a bare host
 * `pds.example.com`, or a relay's WebSocket form `wss://bsky.network` (the same host serves its
 * XRPC queries over https). Always comes out as an origin (scheme://host[:port]); whether plain
 * http:// may be used is decided by the HTTP layer when the request is made.
 */
import { usage } from '../errors.js';

const SCHEMES: Record<string, 'https:' | 'http:'> = { 'https:': 'https:', 'http:': 'http:', 'wss:': 'https:', 'ws:': 'http:' };

/** `input` → `https://host[:port]` (or http:// for http:// and ws:// input). Throws usage 'InvalidServiceUrl'. */
export function serviceOrigin(input: string): string {
  const text = input.trim();
  // Credentials in a URL are refused, and never repeated in the message.
  const shown = text.replace(/\/\/[^/?#]*@/, '//***@').slice(0, 200);
  const bad = (why: string): never => {
    throw usage('InvalidServiceUrl', `"${shown}" is not a service URL: ${why}`, {
      hint: 'give the service as https://host (a bare host name means https; a relay may also be given as wss://host)',
    });
  };
  if (text === '') bad('it is empty');
  const withScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return bad('it does not parse');
  }
  const scheme = SCHEMES[url.protocol];
  if (scheme === undefined) return bad(`the scheme ${url.protocol.replace(/:$/, '')}:// is not http(s) or ws(s)`);
  if (url.username !== '' || url.password !== '') bad('it carries credentials');
  if (url.search !== '' || url.hash !== '') bad('it has a query or fragment');
  // A pasted endpoint URL (…/xrpc/com.atproto.sync.subscribeRepos) still names the service.
  if (url.pathname !== '/' && url.pathname !== '' && !url.pathname.startsWith('/xrpc/')) bad('it has a path (a service is scheme, host and port)');
  return `${scheme}//${url.host}`;
}

/** The host (with a port, when one is given) of a service: what relays call a hostname. */
export function serviceHostname(input: string): string {
  return new URL(serviceOrigin(input)).host;
}
