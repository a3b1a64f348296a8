import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lockPathFor, pullLexicons, readLocalSchemas, readLock, type PullOptions } from '../../../src/core/lexicon/network.js';
import { CAL_DID, GEO_DID, eventSchema, startNet, type Net } from './network-fixtures.js';

describe('lex pull (core) against local servers', () => {
  let net: Net;
  let dir: string;
  let lockFile: string;
  beforeAll(async () => {
    net = await startNet();
  });
  afterAll(async () => {
    await net.close();
  });
  beforeEach(() => {
    net.reset();
    net.publishAll();
    dir = join(mkdtempSync(join(tmpdir(), 'atcli-pull-')), 'lexicons');
    lockFile = lockPathFor(dir);
  });

  const pull = async (over: Partial<PullOptions> = {}) => pullLexicons(net.resolver(), { dir, lockFile, lock: await readLock(lockFile), targets: [], ...over });

  it('writes the closure as a/b/c.json files and records each CID, DID and rev in the lock', async () => {
    const r = await pull({ targets: ['com.example.cal.event'] });
    expect(r.lexicons.map((l) => [l.nsid, l.status, l.requiredBy])).toEqual([
      ['com.example.cal.defs', 'created', 'com.example.cal.event'],
      ['com.example.cal.event', 'created', null],
      ['org.other.geo.defs', 'created', 'com.example.cal.event'],
    ]);
    expect(r.lockWritten).toBe(true);
    const event = JSON.parse(readFileSync(join(dir, 'com/example/cal/event.json'), 'utf8')) as Record<string, unknown>;
    expect(event).toEqual(eventSchema());
    expect(readdirSync(join(dir, 'org/other/geo'))).toEqual(['defs.json']);
    const lock = (await readLock(lockFile))!;
    expect(lock.pulled).toEqual(['com.example.cal.event']);
    expect(Object.keys(lock.lexicons)).toEqual(['com.example.cal.defs', 'com.example.cal.event', 'org.other.geo.defs']);
    expect(lock.lexicons['org.other.geo.defs']!.did).toBe(GEO_DID);
    expect(lock.lexicons['com.example.cal.event']!.did).toBe(CAL_DID);
    // The written files publish to exactly the pulled CIDs.
    const local = await readLocalSchemas([dir]);
    for (const s of local.schemas) expect(s.cid).toBe(lock.lexicons[s.nsid]!.cid);
  });

  it('pulling again changes nothing; --frozen passes; no temp files are left', async () => {
    await pull({ targets: ['com.example.cal.*'] });
    const before = readFileSync(lockFile, 'utf8');
    const again = await pull();
    expect(again.lexicons.every((l) => l.status === 'unchanged')).toBe(true);
    expect(again.lockWritten).toBe(false);
    expect(readFileSync(lockFile, 'utf8')).toBe(before);
    const frozen = await pull({ frozen: true });
    expect(frozen.drift).toEqual([]);
    expect(readdirSync(join(dir, 'com/example/cal')).sort()).toEqual(['defs.json', 'event.json', 'listEvents.json']);
  });

  it('--frozen reports drift (a changed schema, a new one, a local edit) and writes nothing', async () => {
    await pull({ targets: ['com.example.cal.*'] });
    const lockText = readFileSync(lockFile, 'utf8');
    net.pds.putSchema(CAL_DID, 'com.example.cal.event', eventSchema((r) => ((r.properties as Record<string, unknown>).note = { type: 'string', maxLength: 10, description: 'n' })));
    net.pds.putSchema(CAL_DID, 'com.example.cal.extra', { lexicon: 1, id: 'com.example.cal.extra', defs: { t: { type: 'token', description: 'new' } } });
    writeFileSync(join(dir, 'com/example/cal/defs.json'), JSON.stringify({ lexicon: 1, id: 'com.example.cal.defs', defs: { x: { type: 'token', description: 'local edit' } } }));
    const r = await pull({ frozen: true });
    expect(r.drift.map((d) => [d.nsid, d.kind])).toEqual([
      ['com.example.cal.event', 'changed'],
      ['com.example.cal.extra', 'not-locked'],
      ['com.example.cal.defs', 'local-modified'],
    ]);
    // event.json still holds the locked version: only the network moved, which 'changed' reports.
    expect(readFileSync(lockFile, 'utf8')).toBe(lockText);
    expect(existsSync(join(dir, 'com/example/cal/extra.json'))).toBe(false);
  });

  it('--frozen fills in missing files when everything matches the lock', async () => {
    await pull({ targets: ['com.example.cal.event'] });
    const file = join(dir, 'org/other/geo/defs.json');
    const text = readFileSync(file, 'utf8');
    rmSync(file);
    const r = await pull({ frozen: true });
    expect(r.drift).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('--frozen without a lock file is invalid (exit 3); no targets and no lock is a usage error', async () => {
    await expect(pull({ frozen: true, targets: ['com.example.cal.event'] })).rejects.toMatchObject({ code: 'LockMissing', kind: 'invalid' });
    await expect(pull()).rejects.toMatchObject({ code: 'NothingToPull', kind: 'usage' });
  });

  it('a dry run fetches and verifies but writes nothing', async () => {
    const r = await pull({ targets: ['com.example.cal.event'], dryRun: true });
    expect(r.lexicons).toHaveLength(3);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(lockFile)).toBe(false);
  });

  it('updates a file whose published version changed, and the lock with it', async () => {
    await pull({ targets: ['com.example.cal.event'], deps: false });
    const newCid = net.pds.putSchema(CAL_DID, 'com.example.cal.event', eventSchema((r) => ((r.properties as Record<string, unknown>).note = { type: 'string', maxLength: 10, description: 'n' })));
    const r = await pull({ deps: false });
    expect(r.lexicons.map((l) => [l.nsid, l.status])).toEqual([['com.example.cal.event', 'updated']]);
    expect((await readLock(lockFile))!.lexicons['com.example.cal.event']!.cid).toBe(newCid);
  });
});
