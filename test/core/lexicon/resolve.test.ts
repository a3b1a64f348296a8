import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeCar } from '../../../src/core/codec/index.js';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import { AtcliError } from '../../../src/core/errors.js';
import { referencedNsids } from '../../../src/core/lexicon/index.js';
import {
  groupAuthority,
  lexiconAuthority,
  lexiconFileText,
  lexiconGroup,
  lexiconTxtName,
  lexiconTxtRecord,
  lookupLexiconAuthority,
  parsePullTarget,
  resolveClosure,
} from '../../../src/core/lexicon/network.js';
import { block, signCommit } from '../repo/repo-builder.js';
import { CAL_DEFS, CAL_DID, GEO_DID, OTHER_DID, eventSchema, startNet, type Net } from './network-fixtures.js';

async function failure(p: Promise<unknown>): Promise<AtcliError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AtcliError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('NSID authority helpers', () => {
  it('authority is the NSID minus its name, reversed; the TXT name is _lexicon.<authority>', () => {
    expect(lexiconAuthority('app.bsky.feed.post')).toBe('feed.bsky.app');
    expect(lexiconGroup('app.bsky.feed.post')).toBe('app.bsky.feed');
    expect(groupAuthority('edu.university.dept.lab.blogging')).toBe('blogging.lab.dept.university.edu');
    expect(lexiconTxtName(lexiconAuthority('edu.university.dept.lab.blogging.getBlogPost'))).toBe('_lexicon.blogging.lab.dept.university.edu');
    expect(lexiconAuthority('com.Example.Cal.fooBar')).toBe('cal.example.com');
    expect(lexiconTxtRecord('cal.example.com', CAL_DID)).toBe(`_lexicon.cal.example.com. TXT "did=${CAL_DID}"`);
  });

  it('parses pull targets: NSIDs and groups (prefix.* or prefix.)', () => {
    expect(parsePullTarget('com.example.cal.event')).toEqual({ kind: 'nsid', nsid: 'com.example.cal.event', text: 'com.example.cal.event' });
    expect(parsePullTarget('com.example.cal.*')).toEqual({ kind: 'group', group: 'com.example.cal', text: 'com.example.cal.*' });
    expect(parsePullTarget('com.example.cal.')).toEqual({ kind: 'group', group: 'com.example.cal', text: 'com.example.cal.*' });
    for (const bad of ['com.*', 'nonsense', 'com..x.*', 'com.example.1cal']) expect(() => parsePullTarget(bad)).toThrow(/NSID|group/);
  });

  it('lists the other Lexicons a document references (refs and union members), without itself', () => {
    expect(referencedNsids(eventSchema() as never)).toEqual(['com.example.cal.defs', 'org.other.geo.defs']);
    expect(referencedNsids(CAL_DEFS as never)).toEqual(['org.other.geo.defs']);
    expect(referencedNsids({ id: 'a.b.c', defs: { main: { type: 'object', properties: { x: { type: 'ref', ref: '#y' }, z: { type: 'ref', ref: 'a.b.c#w' } } } } })).toEqual([]);
  });

  it('writes pulled files in the usual key order, without $type', () => {
    const text = lexiconFileText({ defs: { main: { record: {}, key: 'tid', type: 'record', description: 'x' } }, id: 'a.b.c', $type: 'com.atproto.lexicon.schema', lexicon: 1 } as never);
    expect(text).toBe(`{\n  "lexicon": 1,\n  "id": "a.b.c",\n  "defs": {\n    "main": {\n      "type": "record",\n      "description": "x",\n      "record": {},\n      "key": "tid"\n    }\n  }\n}\n`);
  });
});

describe('Lexicon resolution over DNS, DID and a PDS (local servers)', () => {
  let net: Net;
  beforeAll(async () => {
    net = await startNet();
  });
  afterAll(async () => {
    await net.close();
  });
  beforeEach(() => {
    net.reset();
    net.publishAll();
  });

  it('resolves a schema with a verified proof, carrying DID, PDS, CID and rev', async () => {
    const r = await net.resolver().resolve('com.example.cal.event');
    expect(r).toMatchObject({ nsid: 'com.example.cal.event', authority: 'cal.example.com', did: CAL_DID, pds: 'http://localhost:2583', uri: `at://${CAL_DID}/com.atproto.lexicon.schema/com.example.cal.event` });
    expect(r.cid).toBe(net.pds.repos.get(CAL_DID)!.built.records.get('com.atproto.lexicon.schema/com.example.cal.event')!.cid.toString());
    expect(r.rev).toMatch(/^[a-z2-7]{13}$/);
    expect(r.document.id).toBe('com.example.cal.event');
    expect(r.json).not.toHaveProperty('$type');
    expect(r.checks.every((c) => c.ok)).toBe(true);
    expect(r.checks.map((c) => c.name)).toContain('signature');
  });

  it('asks DNS only for _lexicon.<authority>: never a parent or child domain', async () => {
    net.world.txt('_lexicon.example.com', [[`did=${CAL_DID}`]]);
    net.world.txt('_lexicon.deep.mid.example.com', [[`did=${CAL_DID}`]]);
    const e = await failure(net.resolver().resolve('com.example.mid.thing'));
    expect(e.kind).toBe('notFound');
    expect(e.code).toBe('LexiconAuthorityNotFound');
    expect(e.hint).toMatch(/_lexicon\.mid\.example\.com TXT "did=/);
    expect(net.world.dns.queries.filter((q) => q.startsWith('_lexicon.'))).toEqual(['_lexicon.mid.example.com']);
  });

  it('no TXT record: notFound (exit 4) with the record to add', async () => {
    const e = await failure(net.resolver().resolve('org.nowhere.thing.item'));
    expect(e.exitCode).toBe(4);
    expect(e.message).toContain('_lexicon.thing.nowhere.org');
    expect(net.world.dns.queries).toEqual(['_lexicon.thing.nowhere.org']);
  });

  it('several DIDs are ambiguous (exit 3); other TXT strings and duplicates are fine; malformed did= values do not count', async () => {
    net.world.txt('_lexicon.cal.example.com', [[`did=${CAL_DID}`], [`did=${OTHER_DID}`]]);
    expect((await failure(net.resolver().resolve('com.example.cal.event'))).code).toBe('AmbiguousLexiconAuthority');
    net.world.txt('_lexicon.cal.example.com', [['v=spf1 -all'], [`did=${CAL_DID}`], [`did=${CAL_DID}`]]);
    expect((await net.resolver().resolve('com.example.cal.event')).did).toBe(CAL_DID);
    net.world.txt('_lexicon.cal.example.com', [['did=not a did']]);
    const e = await failure(net.resolver().resolve('com.example.cal.event'));
    expect(e.code).toBe('LexiconAuthorityNotFound');
    expect(e.message).toMatch(/malformed/);
    net.world.txt('_lexicon.cal.example.com', 'servfail');
    expect((await failure(net.resolver().resolve('com.example.cal.event'))).code).toBe('LexiconDnsFailed');
  });

  it('a schema the repository does not hold: notFound with the absence proven', async () => {
    const e = await failure(net.resolver().resolve('com.example.cal.missing'));
    expect(e.code).toBe('LexiconNotPublished');
    expect(e.exitCode).toBe(4);
    expect(e.message).toMatch(/absence proven/);
  });

  it('the record id must equal the NSID (record key)', async () => {
    net.pds.putSchema(CAL_DID, 'com.example.cal.alias', eventSchema());
    const e = await failure(net.resolver().resolve('com.example.cal.alias'));
    expect(e.code).toBe('LexiconIdMismatch');
    expect(e.exitCode).toBe(3);
  });

  it('a proof signed by another key is refused', async () => {
    const intruder = generatePrivateKey('k256');
    net.pds.tamper = ({ repo, blocks }) => {
      const commit = signCommit({ ...repo.built.commitMap }, intruder);
      return encodeCar([commit.cid], [commit, ...blocks.slice(1)]);
    };
    const e = await failure(net.resolver().resolve('com.example.cal.event'));
    expect(e.code).toBe('LexiconProofInvalid');
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/signature/);
  });

  it('a record block that is not the one the tree names is refused', async () => {
    net.pds.tamper = ({ blocks, root }) => {
      const forged = block({ $type: 'com.atproto.lexicon.schema', lexicon: 1, id: 'com.example.cal.event', defs: { main: { type: 'token', description: 'forged' } } });
      return encodeCar([root], [...blocks.slice(0, -1), forged]);
    };
    const e = await failure(net.resolver().resolve('com.example.cal.event'));
    expect(e.code).toBe('LexiconProofInvalid');
  });

  it('a proof for another repository is refused', async () => {
    net.world.txt('_lexicon.cal.example.com', [[`did=${GEO_DID}`]]);
    // GEO's PDS answers with CAL's repository.
    net.pds.tamper = ({ repo, blocks, root }) => (repo.did === GEO_DID ? encodeCar([net.pds.repos.get(CAL_DID)!.built.commit.cid], [net.pds.repos.get(CAL_DID)!.built.commit, ...blocks.slice(1)]) : encodeCar([root], blocks));
    const e = await failure(net.resolver().resolve('com.example.cal.event'));
    expect(e.exitCode).toBe(3);
  });

  it('a published record that is not a valid Lexicon is refused', async () => {
    net.pds.putSchema(CAL_DID, 'com.example.cal.event', { lexicon: 2, id: 'com.example.cal.event', defs: {} });
    const e = await failure(net.resolver().resolve('com.example.cal.event'));
    expect(e.code).toBe('InvalidLexicon');
    expect(e.exitCode).toBe(3);
  });

  it('a DID that cannot be resolved as a Lexicon host is reported', async () => {
    net.world.txt('_lexicon.cal.example.com', [['did=did:example:123']]);
    const e = await failure(net.resolver().resolve('com.example.cal.event'));
    expect(e.code).toBe('UnresolvableLexiconDid');
  });

  it('caches each authority: one DNS query per authority for several schemas', async () => {
    const resolver = net.resolver();
    await resolver.resolve('com.example.cal.event');
    await resolver.resolve('com.example.cal.defs');
    expect(net.world.dns.queries.filter((q) => q === '_lexicon.cal.example.com')).toHaveLength(1);
  });

  it('lookupLexiconAuthority returns every TXT string it saw', async () => {
    net.world.txt('_lexicon.cal.example.com', [['hello'], [`did=${CAL_DID}`]]);
    const a = await lookupLexiconAuthority(net.world.config(), 'cal.example.com');
    expect(a).toEqual({ authority: 'cal.example.com', name: '_lexicon.cal.example.com', did: CAL_DID, txt: ['hello', `did=${CAL_DID}`] });
  });

  it('follows references to their closure, across authorities', async () => {
    const c = await resolveClosure(net.resolver(), [parsePullTarget('com.example.cal.event')]);
    expect(c.lexicons.map((l) => l.nsid)).toEqual(['com.example.cal.defs', 'com.example.cal.event', 'org.other.geo.defs']);
    expect(c.lexicons.find((l) => l.nsid === 'org.other.geo.defs')!.did).toBe(GEO_DID);
    expect(c.requiredBy).toEqual({ 'com.example.cal.defs': 'com.example.cal.event', 'org.other.geo.defs': 'com.example.cal.event' });
    const only = await resolveClosure(net.resolver(), [parsePullTarget('com.example.cal.event')], { deps: false });
    expect(only.lexicons.map((l) => l.nsid)).toEqual(['com.example.cal.event']);
  });

  it('a group target lists the authority repository (one level only) and resolves each schema', async () => {
    net.pds.putSchema(CAL_DID, 'com.example.cal.sub.deeper', { lexicon: 1, id: 'com.example.cal.sub.deeper', defs: { t: { type: 'token', description: 'x' } } });
    const c = await resolveClosure(net.resolver(), [parsePullTarget('com.example.cal.*')], { deps: false });
    expect(c.targets).toEqual([{ target: 'com.example.cal.*', nsids: ['com.example.cal.defs', 'com.example.cal.event', 'com.example.cal.listEvents'] }]);
    expect(c.lexicons).toHaveLength(3);
    expect(net.pds.calls).toContain('listRecords com.atproto.lexicon.schema');
  });

  it('a dependency that does not resolve fails the closure, naming what needed it', async () => {
    net.world.txt('_lexicon.geo.other.org', []);
    const e = await failure(resolveClosure(net.resolver(), [parsePullTarget('com.example.cal.event')]));
    expect(e.message).toMatch(/^org\.other\.geo\.defs \(referenced by com\.example\.cal\.(event|defs)\)/);
    expect(e.exitCode).toBe(4);
  });

  it('an empty group is notFound', async () => {
    net.world.txt('_lexicon.empty.example.com', [[`did=${CAL_DID}`]]);
    const e = await failure(resolveClosure(net.resolver(), [parsePullTarget('com.example.empty.*')]));
    expect(e.code).toBe('NoLexiconsInGroup');
  });
});
