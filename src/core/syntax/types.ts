/**
 * Identifier types for exported signatures. The template-literal shapes catch the commonest
 * mix-ups at compile time (a handle where a DID is expected, an NSID where an AT-URI is); a value
 * gets one of these types only after its `check*` function accepted it, through the guards below.
 */
import { checkAtUri } from './aturi.js';
import { checkDid } from './did.js';
import { checkHandle } from './handle.js';
import { checkNsid } from './nsid.js';

/** `did:<method>:<id>`, e.g. did:plc:ewvi7nxzyoun6zhxrhs64oiz. */
export type Did = `did:${string}:${string}`;
/** A did:plc. */
export type DidPlc = `did:plc:${string}`;
/** A domain name such as alice.example.com. */
export type Handle = `${string}.${string}`;
/** A reversed-domain schema name such as app.bsky.feed.post. */
export type Nsid = `${string}.${string}.${string}`;
/** `at://<authority>[/<collection>[/<rkey>]]`. */
export type AtUri = `at://${string}`;
/** `did:key:z…` */
export type DidKey = `did:key:z${string}`;

export function isDid(s: string): s is Did {
  return checkDid(s) === null;
}

export function isHandle(s: string): s is Handle {
  return checkHandle(s) === null;
}

export function isNsid(s: string): s is Nsid {
  return checkNsid(s) === null;
}

export function isAtUri(s: string): s is AtUri {
  return checkAtUri(s) === null;
}
