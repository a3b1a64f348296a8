/**
 * IP address classification for the SSRF rules.
 * Pure functions, no I/O.
 */
import { isIP } from 'node:net';

/** Parse dotted-quad IPv4 into a 32-bit unsigned number, or null. Strict: four decimal parts 0-255. */
export function parseIPv4(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n >>> 0;
}

/** Parse an IPv6 address (optionally with an embedded IPv4 tail, no zone) into 8 16-bit groups, or null. */
export function parseIPv6(input: string): number[] | null {
  let ip = input;
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const zone = ip.indexOf('%');
  if (zone >= 0) ip = ip.slice(0, zone);
  if (isIP(ip) !== 6) return null;
  const lastColon = ip.lastIndexOf(':');
  const last = ip.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIPv4(last);
    if (v4 === null) return null;
    ip = ip.slice(0, lastColon + 1) + ((v4 >>> 16) & 0xffff).toString(16) + ':' + (v4 & 0xffff).toString(16);
  }
  const want = 8;
  const dbl = ip.indexOf('::');
  let groups: string[];
  if (dbl >= 0) {
    const head = ip.slice(0, dbl) === '' ? [] : ip.slice(0, dbl).split(':');
    const rest = ip.slice(dbl + 2) === '' ? [] : ip.slice(dbl + 2).split(':');
    const fill = want - head.length - rest.length;
    if (fill < 0) return null;
    groups = [...head, ...Array<string>(fill).fill('0'), ...rest];
  } else {
    groups = ip === '' ? [] : ip.split(':');
  }
  if (groups.length !== want) return null;
  const out: number[] = [];
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    out.push(parseInt(g, 16));
  }
  return out;
}

const V4_BLOCKED: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // RFC1918
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12], // RFC1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // RFC1918
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved + broadcast
];

function v4InRange(n: number, base: string, bits: number): boolean {
  const b = parseIPv4(base)!;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((n & mask) >>> 0) === ((b & mask) >>> 0);
}

/** 127.0.0.0/8, ::1 (and ::ffff:127.x). */
export function isLoopbackAddress(ip: string): boolean {
  const v4 = parseIPv4(ip);
  if (v4 !== null) return v4InRange(v4, '127.0.0.0', 8);
  const g = parseIPv6(ip);
  if (!g) return false;
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return true;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return (g[6]! >> 8) === 127;
  }
  return false;
}

/**
 * Whether an IP literal is a public unicast address that untrusted URLs may reach.
 * Anything unparseable is treated as not public.
 */
export function isPublicAddress(ip: string): boolean {
  const v4 = parseIPv4(ip);
  if (v4 !== null) return !V4_BLOCKED.some(([base, bits]) => v4InRange(v4, base, bits));
  const g = parseIPv6(ip);
  if (!g) return false;
  const [a, b] = [g[0]!, g[1]!];
  // ::/96 covers :: (unspecified), ::1 (loopback) and deprecated IPv4-compatible addresses.
  if (g.slice(0, 6).every((x) => x === 0)) return false;
  // ::ffff:0:0/96 IPv4-mapped: never a legitimate DNS answer for a public service.
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return false;
  // 64:ff9b::/96 NAT64 (and 64:ff9b:1::/48 local-use NAT64): both start 64:ff9b.
  if (a === 0x64 && b === 0xff9b) return false;
  if ((a & 0xfe00) === 0xfc00) return false; // fc00::/7 unique local
  if ((a & 0xffc0) === 0xfe80) return false; // fe80::/10 link-local
  if ((a & 0xffc0) === 0xfec0) return false; // fec0::/10 site-local (deprecated)
  if ((a & 0xff00) === 0xff00) return false; // ff00::/8 multicast
  if (a === 0x2001 && b === 0x0db8) return false; // documentation
  if (a === 0x2002) return false; // 6to4 can embed any IPv4 address
  if (a === 0x2001 && b === 0) return false; // Teredo can embed any IPv4 address
  if (a === 0x100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return false; // 100::/64 discard
  return true;
}

/** Hostnames that name the local machine: localhost and loopback IP literals. */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost') return true;
  const bare = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
  const v4 = parseIPv4(bare);
  if (v4 !== null) return v4InRange(v4, '127.0.0.0', 8);
  const g = isIP(bare) === 6 ? parseIPv6(bare) : null;
  // Only ::1 itself: an IPv4-mapped loopback literal is an obfuscation, not a dev server.
  return g !== null && g.slice(0, 7).every((x) => x === 0) && g[7] === 1;
}
