// Options shared by `firehose tail` and `firehose replay`, and the pipeline they configure.
import { usage } from '../../../core/errors.js';
import { checkDid, checkNsid } from '../../../core/syntax/index.js';
import { parseDidDocument, resolveDid, type IdentityConfig } from '../../../core/identity/index.js';
import { EVENT_KINDS, FirehosePipeline, type EventKind, type KeyResolver, type PipelineOptions } from '../../../core/firehose/pipeline.js';
import { opt } from '../../flags.js';

const EVENTS_HINT = `use a comma-separated list of ${EVENT_KINDS.join(', ')}`;

function collectionPattern(c: string): string {
  const base = c.endsWith('.*') ? c.slice(0, -2) : c;
  const ok = c === '*' || (c.endsWith('.*') ? /^[a-zA-Z][a-zA-Z0-9-]*(\.[a-zA-Z0-9-]+)*$/.test(base) : checkNsid(c) === null);
  if (!ok) throw usage('InvalidNsid', `-c ${c}: not a collection NSID (or a prefix like app.bsky.feed.*)`, { hint: 'for example -c app.bsky.feed.post' });
  return c;
}

function accountDid(d: string): string {
  const reason = checkDid(d);
  if (reason !== null) throw usage('InvalidDid', `--did ${d}: ${reason}`, { hint: 'give a DID (did:plc:… or did:web:…); handles are not resolved here' });
  return d;
}

/** A whole number of at least `min` (error code InvalidFlag, kept from the first release). */
export function count(min: number): (text: string, flag: string) => number {
  return (text, flag) => {
    const n = Number(text);
    if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < min) {
      throw usage('InvalidFlag', `${flag} must be ${min === 0 ? 'a non-negative' : 'a positive'} integer, got "${text}"`);
    }
    return n;
  };
}

function eventList(text: string): EventKind[] {
  const events: EventKind[] = [];
  for (const raw of text.split(',')) {
    const name = raw.trim().replace(/^#/, '');
    if (name === '') continue;
    const kind = EVENT_KINDS.find((k) => k === name);
    if (kind === undefined) throw usage('InvalidEvents', `--events: unknown event type "${name}"`, { hint: EVENTS_HINT });
    events.push(kind);
  }
  if (events.length === 0) throw usage('InvalidEvents', '--events is empty', { hint: EVENTS_HINT });
  return events;
}

export const pipelineOptions = {
  collection: opt.listParsed('-c, --collection <nsid>', 'only commits with an op in this collection (repeatable; "app.bsky.feed.*" matches a prefix); shows only commits unless --events says otherwise', collectionPattern),
  did: opt.listParsed('--did <did>', 'only events of this account (repeatable)', accountDid),
  events: opt.parsed('--events <list>', 'event types to show, comma-separated: commit,sync,identity,account,info (default: all)', eventList),
  ops: opt.flag('--ops', 'one line per record operation (op, collection, rkey, cid, record) instead of one per commit'),
  verify: opt.flag('--verify', "check each commit's signature (keys resolved and cached) and its sync-1.1 inductive proof and chain; failures become {seq, did, ok: false, reasons} lines and the stream goes on"),
  limit: opt.parsed('--limit <n>', 'stop after n events (exit 0)', count(1)),
};

export interface PipelineFlags {
  collection: string[];
  did: string[];
  events: EventKind[] | undefined;
  ops: boolean;
  verify: boolean;
}

export function makePipeline(flags: PipelineFlags, resolveKey: KeyResolver | undefined, onKey?: PipelineOptions['onKey']): FirehosePipeline {
  return new FirehosePipeline({
    verify: flags.verify,
    collections: flags.collection,
    dids: flags.did,
    ...(flags.events ? { events: flags.events } : {}),
    ops: flags.ops,
    ...(flags.verify && resolveKey ? { resolveKey } : {}),
    ...(onKey ? { onKey } : {}),
  });
}

/** Signing keys from DID documents (did:plc via the PLC directory, did:web), one identity config so its cache is shared. */
export function networkKeyResolver(identity: () => Promise<IdentityConfig>, dev: boolean): KeyResolver {
  let config: Promise<IdentityConfig> | undefined;
  return async (account, { fresh }) => {
    config ??= identity();
    const doc = await resolveDid(await config, account, { noCache: fresh });
    const parsed = parseDidDocument(account, doc, { dev });
    if (parsed.signingKey === undefined) throw usage('NoSigningKey', `the DID document of ${account} has no usable #atproto signing key`);
    return parsed.signingKey;
  };
}
