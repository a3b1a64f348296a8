// Jetstream messages → the firehose pipeline's output shapes: the documented examples map to
// commit/identity/account views and op rows, the firehose filters apply (DIDs, collections with
// prefixes, event kinds, --ops), malformed messages become failures naming the account, unknown
// kinds are skipped, and an event resent at the resume microsecond is recognised.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JetstreamMapper, JetstreamMessageError, parseJetstreamEvent, timeUsToIso } from '../../../src/core/jetstream/events.js';
import { StreamStats } from '../../../src/core/firehose/stats.js';

const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`../../fixtures/jetstream/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const like = fixture('like.json');
const del = fixture('delete.json');
const identity = fixture('identity.json');
/** The fields every view of `like` shares. */
const likeHead = { seq: 1725911162329308, type: 'commit', did: 'did:plc:eygmaihciaxprqvxpfvl6flk', time: '2024-09-09T19:46:02.329Z', rev: '3l3qo2vutsw2b' };
const likeCid = 'bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi';
const account = {
  did: 'did:plc:ufbl4k27gp6kzas5glhz7fim',
  time_us: 1725911162329600,
  kind: 'account',
  account: { active: false, did: 'did:plc:ufbl4k27gp6kzas5glhz7fim', seq: 1409753013, status: 'deactivated', time: '2024-09-05T06:11:04.870Z' },
};

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

describe('parseJetstreamEvent', () => {
  it('reads a create with its record and CID, a delete, an identity and an account event', () => {
    expect(parseJetstreamEvent(like)).toEqual({
      kind: 'commit',
      did: 'did:plc:eygmaihciaxprqvxpfvl6flk',
      timeUs: 1725911162329308,
      rev: '3l3qo2vutsw2b',
      operation: 'create',
      collection: 'app.bsky.feed.like',
      rkey: '3l3qo2vuowo2b',
      cid: 'bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi',
      record: (like.commit as { record: unknown }).record,
    });
    expect(parseJetstreamEvent(del)).toMatchObject({ kind: 'commit', operation: 'delete', cid: null, record: null, collection: 'app.bsky.graph.follow' });
    expect(parseJetstreamEvent(identity)).toEqual({ kind: 'identity', did: 'did:plc:ufbl4k27gp6kzas5glhz7fim', timeUs: 1725911162329500, handle: 'yohenrique.bsky.social', time: '2024-09-05T06:11:04.870Z' });
    expect(parseJetstreamEvent(account)).toEqual({ kind: 'account', did: account.did, timeUs: account.time_us, active: false, status: 'deactivated', time: account.account.time });
  });

  it('skips unknown kinds', () => {
    expect(parseJetstreamEvent({ did: 'did:plc:x', time_us: 5, kind: 'sync', sync: {} })).toEqual({ kind: 'unknown', did: 'did:plc:x', timeUs: 5, name: 'sync' });
  });

  const broken: Array<[string, (m: Record<string, any>) => unknown, RegExp]> = [
    ['not an object', () => [1, 2], /not an object/],
    ['no time_us', (m) => ({ ...m, time_us: undefined }), /"time_us" is missing/],
    ['fractional time_us', (m) => ({ ...m, time_us: 1.5 }), /"time_us"/],
    ['bad DID', (m) => ({ ...m, did: 'did:plc:UPPER CASE' }), /"did" is not a valid DID/],
    ['commit body missing', (m) => ({ ...m, commit: undefined }), /"commit" is missing/],
    ['unknown operation', (m) => ({ ...m, commit: { ...m.commit, operation: 'upsert' } }), /unknown operation "upsert"/],
    ['bad rev', (m) => ({ ...m, commit: { ...m.commit, rev: 'not-a-tid' } }), /"commit.rev" is not a valid TID/],
    ['bad collection', (m) => ({ ...m, commit: { ...m.commit, collection: 'feed' } }), /"commit.collection" is not a valid NSID/],
    ['bad rkey', (m) => ({ ...m, commit: { ...m.commit, rkey: '..' } }), /"commit.rkey" is not a valid record key/],
    ['bad cid', (m) => ({ ...m, commit: { ...m.commit, cid: 'bafynope' } }), /"commit.cid" is not a valid CID/],
    ['create without record', (m) => ({ ...m, commit: { ...m.commit, record: undefined } }), /"commit.record" is missing/],
  ];
  it.each(broken)('a commit with %s is refused with a reason', (_name, change, reason) => {
    let err: unknown;
    try {
      parseJetstreamEvent(change(clone(like)));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JetstreamMessageError);
    expect((err as Error).message).toMatch(/^invalid Jetstream message/);
    expect((err as Error).message).toMatch(reason);
  });

  it('an identity event naming another DID in its body is refused', () => {
    const m = clone(identity) as { identity: { did: string } };
    m.identity.did = 'did:plc:someoneelseentirely1234';
    expect(() => parseJetstreamEvent(m)).toThrow(/"identity.did" .* differs from "did"/);
  });
});

describe('JetstreamMapper', () => {
  it('maps to the firehose shapes: seq is time_us, commits carry one op, time comes from time_us', () => {
    const m = new JetstreamMapper();
    expect(m.process(like)).toEqual([
      {
        kind: 'event',
        value: { ...likeHead, since: null, commit: null, ops: [{ op: 'create', collection: 'app.bsky.feed.like', rkey: '3l3qo2vuowo2b', cid: likeCid }] },
      },
    ]);
    expect(m.process(identity)).toEqual([{ kind: 'event', value: { seq: 1725911162329500, type: 'identity', did: identity.did, time: '2024-09-05T06:11:04.870Z', handle: 'yohenrique.bsky.social' } }]);
    expect(m.process(account)).toEqual([{ kind: 'event', value: { seq: account.time_us, type: 'account', did: account.did, time: account.account.time, active: false, status: 'deactivated' } }]);
    expect(timeUsToIso(1725911162329308)).toBe('2024-09-09T19:46:02.329Z');
  });

  it('--ops: one row per operation with the record (null for a delete)', () => {
    const m = new JetstreamMapper({ ops: true });
    const [row] = m.process(like);
    expect(row).toEqual({
      kind: 'op',
      value: { ...likeHead, op: 'create', collection: 'app.bsky.feed.like', rkey: '3l3qo2vuowo2b', cid: likeCid, record: (like.commit as { record: unknown }).record },
    });
    expect(m.process(del)[0]).toMatchObject({ kind: 'op', value: { op: 'delete', cid: null, record: null } });
  });

  it('applies the firehose filters: collections (prefixes) show only commits unless events are named, DIDs, event kinds', () => {
    const all = [like, del, identity, account];
    const types = (m: JetstreamMapper): string[] => all.flatMap((msg) => m.process(msg)).map((o) => `${o.value.type} ${o.value.did}`);
    expect(types(new JetstreamMapper({ collections: ['app.bsky.feed.*'] }))).toEqual([`commit ${like.did}`]);
    expect(types(new JetstreamMapper({ collections: ['app.bsky.graph.follow'], events: ['commit', 'identity'] }))).toEqual([`commit ${del.did}`, `identity ${identity.did}`]);
    expect(types(new JetstreamMapper({ dids: [identity.did as string] }))).toEqual([`identity ${identity.did}`, `account ${identity.did}`]);
    expect(types(new JetstreamMapper({ events: ['account'] }))).toEqual([`account ${account.did}`]);
    const m = new JetstreamMapper({ dids: ['did:plc:nobody'] });
    for (const msg of all) m.process(msg);
    expect(m.stats).toMatchObject({ messages: 4, events: 4, shown: 0 });
  });

  it('a malformed message is a failure naming the account and time; filtered-out accounts stay quiet', () => {
    const bad = clone(like) as { commit: { rev: string } };
    bad.commit.rev = 'nope';
    expect(new JetstreamMapper().process(bad)).toEqual([
      { kind: 'failure', value: { seq: like.time_us, did: like.did, type: 'commit', ok: false, reasons: [expect.stringMatching(/"commit.rev" is not a valid TID/)] } },
    ]);
    expect(new JetstreamMapper({ dids: ['did:plc:other'] }).process(bad)).toEqual([]);
    const m = new JetstreamMapper();
    expect(m.undecodable('invalid Jetstream message: not JSON')).toEqual([{ kind: 'failure', value: { seq: null, did: null, type: null, ok: false, reasons: ['invalid Jetstream message: not JSON'] } }]);
    expect(m.stats.failures).toBe(1);
  });

  it('recognises an event resent at the resume microsecond, but shows a different event of that microsecond', () => {
    const m = new JetstreamMapper();
    const sameTick = { ...clone(del), time_us: like.time_us };
    expect(m.process(like)).toHaveLength(1);
    expect(m.process(sameTick)).toHaveLength(1);
    // After a reconnect from cursor = time_us, the server sends both again.
    expect(m.process(like)).toEqual([]);
    expect(m.process(sameTick)).toEqual([]);
    expect(m.stats.duplicates).toBe(2);
    expect(m.process(identity)).toHaveLength(1);
    expect(m.stats.lastTimeUs).toBe(identity.time_us);
  });

  it('its outputs feed the stats aggregator', () => {
    const m = new JetstreamMapper();
    const stats = new StreamStats({ clock: () => Date.parse('2024-09-09T19:46:03.329Z') });
    for (const msg of [like, del, identity]) for (const o of m.process(msg)) stats.add(o);
    const snap = stats.snapshot();
    expect(snap.events.count).toBe(3);
    expect(snap.ops.count).toBe(2);
    expect(snap.collections.top.map((c) => c.collection).sort()).toEqual(['app.bsky.feed.like', 'app.bsky.graph.follow']);
  });
});
