import type { HintTable } from './index.js';

/** Hints for the HTTP client's address policy and identity resolution. */
export const NETWORK_HINTS: HintTable = {
  BlockedAddress: 'loopback and private addresses are refused unless --dev is given',
  InsecureUrl: 'use https://; plain http:// to other than localhost needs --dev',
  InvalidConnectTo: '--connect-to takes HOST1:PORT1:HOST2:PORT2, e.g. example.com:443:127.0.0.1:8443 (empty HOST1 or PORT1 match any)',
  UnsupportedDidWeb: (e) => (e.message.includes('localhost') ? 'pass --dev for a local test network' : undefined),
  UnresolvableHandle: (e) => (String(e.details?.handle ?? '').endsWith('.test') ? 'the .test TLD is only resolved with --dev' : undefined),
  HandleResolutionFailed: 'every look-up failed with a temporary error; try again later, or ask a resolver service with --handle-resolver <url>',
};
