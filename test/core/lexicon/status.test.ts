import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkLexiconDns, compareWithPublished, lexiconStatus, readLocalSchemas, schemaRecordCid, summarizeStatus, updateLock } from '../../../src/core/lexicon/network.js';
import { CAL_DEFS, CAL_DID, GEO_DEFS, GEO_DID, OTHER_DID, eventSchema, project, startNet, type Net } from './network-fixtures.js';

describe('local schemas', () => {
  it('carry the CID their record would have; invalid files and repeated NSIDs are skipped with the reason', async () => {
    const dir = project([eventSchema(), CAL_DEFS]);
    writeFileSync(join(dir, 'com/example/cal/broken.json'), '{"lexicon": 1,');
    writeFileSync(join(dir, 'com/example/cal/float.json'), '{"lexicon": 1, "id": "com.example.cal.float", "defs": {"n": {"type": "integer", "maximum": 1.5}}}');
    writeFileSync(join(dir, 'com/example/cal/copy.json'), JSON.stringify(CAL_DEFS));
    writeFileSync(join(dir, 'com/example/cal/latin1.json'), Buffer.from('{"lexicon": 1, "id": "com.example.cal.latin1", "description": "caf\xe9", "defs": {}}', 'latin1'));
    const { schemas, skipped } = await readLocalSchemas([dir]);
    expect(schemas.map((s) => s.nsid)).toEqual(['com.example.cal.defs', 'com.example.cal.event']);
    expect(skipped.find((s) => s.file.endsWith('latin1.json'))?.reason).toMatch(/UTF-8/);
    // Files are read in sorted order: copy.json declares com.example.cal.defs first.
    expect(skipped.map((s) => s.file.split('/').pop())).toEqual(['broken.json', 'defs.json', 'float.json', 'latin1.json']);
    expect(skipped[1]!.reason).toMatch(/also declared by .*copy\.json/);
    expect(skipped[2]!.reason).toMatch(/float/);
    // $type in the file does not change the CID; key order does not either.
    const reordered = Object.fromEntries(Object.entries(CAL_DEFS).reverse());
    expect(schemaRecordCid({ ...reordered, $type: 'com.atproto.lexicon.schema' } as never)).toBe(schemas[0]!.cid);
  });
});

describe('lex status and check-dns (core) against local servers', () => {
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

  it('reports in-sync, differs, local-only, remote-only and unresolved, sorted by NSID', async () => {
    const dir = project([eventSchema((r) => ((r.properties as Record<string, unknown>).extra = { type: 'boolean', description: 'x' })), CAL_DEFS, { lexicon: 1, id: 'com.example.cal.draft', defs: { t: { type: 'token', description: 'd' } } }, { lexicon: 1, id: 'org.nowhere.x.thing', defs: { t: { type: 'token', description: 'd' } } }]);
    const { schemas } = await readLocalSchemas([dir]);
    const rows = await lexiconStatus(net.resolver(), schemas);
    expect(rows.map((r) => [r.nsid, r.status])).toEqual([
      ['com.example.cal.defs', 'in-sync'],
      ['com.example.cal.draft', 'local-only'],
      ['com.example.cal.event', 'differs'],
      ['com.example.cal.listEvents', 'remote-only'],
      ['org.nowhere.x.thing', 'unresolved'],
    ]);
    const defs = rows[0]!;
    expect(defs.localCid).toBe(defs.remoteCid);
    expect(defs).toMatchObject({ did: CAL_DID, uri: `at://${CAL_DID}/com.atproto.lexicon.schema/com.example.cal.defs`, lockedCid: null });
    expect(rows[2]!.localCid).not.toBe(rows[2]!.remoteCid);
    expect(rows[3]).toMatchObject({ file: null, localCid: null });
    expect(rows[4]!.detail).toMatch(/_lexicon\.x\.nowhere\.org/);
    // One unresolved schema makes the whole status unfinished (the command exits 4 then).
    const summary = summarizeStatus(rows);
    expect(summary).toMatchObject({ total: 5, verdict: 'unresolved', counts: { 'in-sync': 1, differs: 1, 'local-only': 1, 'remote-only': 1, unresolved: 1 } });
    expect(summary.unresolved).toEqual([{ nsid: 'org.nowhere.x.thing', detail: rows[4]!.detail }]);
    expect(summarizeStatus(rows.slice(0, 4)).verdict).toBe('complete');
  });

  it('shows the CID the lock recorded', async () => {
    const dir = project([GEO_DEFS]);
    const { schemas } = await readLocalSchemas([dir]);
    const lock = updateLock(undefined, ['org.other.geo.defs'], [{ nsid: 'org.other.geo.defs', cid: schemas[0]!.cid, did: GEO_DID, rev: 'r' } as never], true);
    const rows = await lexiconStatus(net.resolver(), schemas, { lock });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'in-sync', lockedCid: schemas[0]!.cid });
  });

  it('compares one schema file with the version its authority publishes (by record CID)', async () => {
    const same = project([CAL_DEFS]);
    const a = await compareWithPublished(net.resolver(), join(same, 'com/example/cal/defs.json'));
    expect(a).toMatchObject({ inSync: true, local: { nsid: 'com.example.cal.defs' }, published: { nsid: 'com.example.cal.defs', did: CAL_DID } });
    expect(a.published.cid).toBe(a.local.cid);
    // Reformatted but equal: still in sync (the record CID does not depend on formatting).
    writeFileSync(join(same, 'com/example/cal/defs.json'), JSON.stringify(CAL_DEFS));
    expect((await compareWithPublished(net.resolver(), join(same, 'com/example/cal/defs.json'))).inSync).toBe(true);
    const edited = project([eventSchema((r) => ((r.properties as Record<string, unknown>).extra = { type: 'boolean', description: 'x' }))]);
    const b = await compareWithPublished(net.resolver(), join(edited, 'com/example/cal/event.json'));
    expect(b.inSync).toBe(false);
    expect(b.published.document.id).toBe('com.example.cal.event');
    writeFileSync(join(edited, 'bad.json'), '{"lexicon": 1, "id": "com.example.cal.bad", "defs": {"main": {"type": "record", "key": "nope"}}}');
    await expect(compareWithPublished(net.resolver(), join(edited, 'bad.json'))).rejects.toMatchObject({ code: 'InvalidLexicon' });
    const unknown = project([{ lexicon: 1, id: 'org.nowhere.x.thing', defs: { t: { type: 'token', description: 'd' } } }]);
    await expect(compareWithPublished(net.resolver(), join(unknown, 'org/nowhere/x/thing.json'))).rejects.toMatchObject({ code: 'LexiconAuthorityNotFound', exitCode: 4 });
  });

  it('check-dns: one row per authority, the record to add when missing, mismatches against the expected DID', async () => {
    net.world.txt('_lexicon.geo.other.org', [[`did=${OTHER_DID}`]]);
    const nsids = ['com.example.cal.event', 'com.example.cal.defs', 'org.other.geo.defs', 'net.missing.x.y', 'com.example.cal.listEvents'];
    const rows = await checkLexiconDns(net.resolver(), nsids, CAL_DID);
    expect(rows.map((r) => [r.name, r.status, r.did])).toEqual([
      ['_lexicon.cal.example.com', 'ok', CAL_DID],
      ['_lexicon.geo.other.org', 'mismatch', OTHER_DID],
      ['_lexicon.x.missing.net', 'missing', null],
    ]);
    expect(rows[0]!.nsids).toEqual(['com.example.cal.defs', 'com.example.cal.event', 'com.example.cal.listEvents']);
    expect(rows[0]!.record).toBeNull();
    expect(rows[1]!.record).toBe(`_lexicon.geo.other.org. TXT "did=${CAL_DID}"`);
    expect(rows[2]!.record).toBe(`_lexicon.x.missing.net. TXT "did=${CAL_DID}"`);
    const unknown = await checkLexiconDns(net.resolver(), ['net.missing.x.y']);
    expect(unknown[0]!.record).toBe('_lexicon.x.missing.net. TXT "did=<DID of the publishing account>"');
    net.world.txt('_lexicon.x.missing.net', [[`did=${CAL_DID}`], [`did=${GEO_DID}`]]);
    expect((await checkLexiconDns(net.resolver(), ['net.missing.x.y']))[0]!.status).toBe('ambiguous');
    // Only the exact names were asked.
    expect(net.world.dns.queries.every((q) => ['_lexicon.cal.example.com', '_lexicon.geo.other.org', '_lexicon.x.missing.net'].includes(q))).toBe(true);
  });
});


