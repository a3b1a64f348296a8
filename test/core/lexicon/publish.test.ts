import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeCar } from '../../../src/core/codec/index.js';
import { AtcliError } from '../../../src/core/errors.js';
import { lintLexiconFiles } from '../../../src/core/lexicon/index.js';
import { applyPublish, parseSavedPlan, planPublish, preparePublish, readLocalSchemas, refuseBlocked, selectPublishable, type LexiconLock, type PlanPublishOptions, type SavedPlan } from '../../../src/core/lexicon/network.js';
import { CAL_DEFS, CAL_DID, CAL_LIST, GEO_DEFS, OTHER_DID, eventSchema, project, startNet, type Net } from './network-fixtures.js';

async function failure(p: Promise<unknown>): Promise<AtcliError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AtcliError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

const withNote = (r: Record<string, unknown>): void => {
  (r.properties as Record<string, unknown>).note = { type: 'string', maxLength: 100, maxGraphemes: 50, description: 'A note.' };
};

describe('lex publish (core) against local servers', () => {
  let net: Net;
  beforeAll(async () => {
    net = await startNet();
  });
  afterAll(async () => {
    await net.close();
  });
  beforeEach(() => {
    net.reset();
    net.pds.account(CAL_DID);
    net.pds.account(OTHER_DID);
    net.world.txt('_lexicon.cal.example.com', [[`did=${CAL_DID}`]]);
  });

  /** Plans publishing the given docs from CAL_DID's repository. */
  async function plan(docs: Array<Record<string, unknown>>, over: Partial<PlanPublishOptions> = {}, dir = project(docs)) {
    const resolver = net.resolver();
    const { schemas } = await readLocalSchemas([dir]);
    const lint = await lintLexiconFiles([dir], { roots: [dir] });
    const repo = await resolver.repo(CAL_DID);
    const p = await planPublish({ resolver, repo, pds: 'http://localhost:2583', schemas, lint, ...over });
    return { p, repo, schemas, dir };
  }

  it('creates new schemas with swapRecord null, verifies them, and then reports them unchanged', async () => {
    const docs = [eventSchema(), CAL_DEFS, CAL_LIST];
    const { p, repo, schemas } = await plan(docs);
    expect(p.blocked).toEqual([]);
    expect(p.items.map((i) => [i.nsid, i.action, i.swap])).toEqual([
      ['com.example.cal.defs', 'create', null],
      ['com.example.cal.event', 'create', null],
      ['com.example.cal.listEvents', 'create', null],
    ]);
    expect(p.dns).toEqual([{ authority: 'cal.example.com', name: '_lexicon.cal.example.com', nsids: ['com.example.cal.defs', 'com.example.cal.event', 'com.example.cal.listEvents'], did: CAL_DID, ok: true }]);
    const r = await applyPublish(p, repo, schemas);
    expect(r.published).toBe(3);
    expect(r.items.every((i) => i.verified && i.rev !== null)).toBe(true);
    expect(net.pds.calls.filter((c) => c.startsWith('putRecord'))).toEqual([
      'putRecord com.example.cal.defs swap=null',
      'putRecord com.example.cal.event swap=null',
      'putRecord com.example.cal.listEvents swap=null',
    ]);
    // What the PDS stores has the CID computed locally, and resolves back.
    for (const s of schemas) expect(r.items.find((i) => i.nsid === s.nsid)!.cid).toBe(s.cid);
    expect((await net.resolver().resolve('com.example.cal.event')).cid).toBe(schemas.find((s) => s.nsid === 'com.example.cal.event')!.cid);
    const again = await plan(docs);
    expect(again.p.items.every((i) => i.action === 'unchanged')).toBe(true);
    const noop = await applyPublish(again.p, again.repo, again.schemas);
    expect(noop).toMatchObject({ published: 0, unchanged: 3 });
  });

  it('updates with swapRecord = the CID read before', async () => {
    const old = net.pds.putSchema(CAL_DID, 'com.example.cal.event', eventSchema());
    const { p, repo, schemas } = await plan([eventSchema(withNote)]);
    expect(p.items[0]).toMatchObject({ action: 'update', swap: old, breaking: [] });
    await applyPublish(p, repo, schemas);
    expect(net.pds.calls.filter((c) => c.startsWith('putRecord'))).toEqual([`putRecord com.example.cal.event swap=${old}`]);
  });

  it('lint errors refuse before anything is read or written', async () => {
    const bad = { lexicon: 1, id: 'com.example.cal.event', defs: { main: { type: 'record', description: 'x', key: 'uuid', record: { type: 'object', properties: {} } } } };
    const dir = project([CAL_DEFS]);
    writeFileSync(join(dir, 'com/example/cal/event.json'), JSON.stringify(bad));
    const resolver = net.resolver();
    const lint = await lintLexiconFiles([dir], { roots: [dir] });
    const e = await failure(planPublish({ resolver, repo: await resolver.repo(CAL_DID), pds: '', schemas: (await readLocalSchemas([dir])).schemas, lint }));
    expect(e.code).toBe('LintErrors');
    expect(e.exitCode).toBe(3);
    expect(net.pds.calls).toEqual([]);
  });

  it('refuses when _lexicon.<authority> is missing (exit 4, with the record to add), unless the DNS check is skipped', async () => {
    net.world.txt('_lexicon.cal.example.com', []);
    const e = await failure(plan([eventSchema()]));
    expect(e.code).toBe('LexiconAuthorityNotFound');
    expect(e.exitCode).toBe(4);
    expect(e.hint).toContain(`_lexicon.cal.example.com. TXT "did=${CAL_DID}"`);
    const { p } = await plan([eventSchema()], { skipDnsCheck: true });
    expect(p.dnsChecked).toBe(false);
    expect(p.items[0]!.action).toBe('create');
  });

  it('refuses when _lexicon.<authority> names another DID (L7)', async () => {
    net.world.txt('_lexicon.cal.example.com', [[`did=${OTHER_DID}`]]);
    const e = await failure(plan([eventSchema()]));
    expect(e.code).toBe('LexiconAuthorityMismatch');
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain(OTHER_DID);
    expect(net.pds.calls.filter((c) => c.startsWith('putRecord'))).toEqual([]);
  });

  it('every group is checked: one foreign authority refuses the whole publish', async () => {
    net.world.txt('_lexicon.geo.other.org', [[`did=${OTHER_DID}`]]);
    const e = await failure(plan([eventSchema(), CAL_DEFS, GEO_DEFS]));
    expect(e.code).toBe('LexiconAuthorityMismatch');
    expect(e.message).toContain('org.other.geo.defs');
  });

  it.each([
    ['a new required field', (r: Record<string, unknown>) => {
      withNote(r);
      (r.required as string[]).push('note');
    }, 'required-field-added'],
    ['a narrowed string format', (r: Record<string, unknown>) => {
      ((r.properties as Record<string, Record<string, unknown>>).link!).format = 'at-uri';
    }, 'string-format'],
    ['a closed union', (r: Record<string, unknown>) => {
      ((r.properties as Record<string, Record<string, unknown>>).where!).closed = true;
    }, 'union-open-closed'],
  ])('a breaking change (%s) blocks the plan unless forced (L6)', async (_name, edit, code) => {
    net.pds.putSchema(CAL_DID, 'com.example.cal.event', eventSchema());
    const { p, repo, schemas } = await plan([eventSchema(edit)]);
    expect(p.items[0]!.breaking.map((f) => f.code)).toContain(code);
    expect(p.blocked).toHaveLength(1);
    const e = await failure(applyPublish(p, repo, schemas));
    expect(e.code).toBe('BreakingChange');
    expect(e.exitCode).toBe(3);
    expect(net.pds.calls.filter((c) => c.startsWith('putRecord'))).toEqual([]);
    const forced = await plan([eventSchema(edit)], { force: true });
    expect(forced.p.blocked).toEqual([]);
    expect((await applyPublish(forced.p, forced.repo, forced.schemas)).published).toBe(1);
  });

  it('a concurrent change between read and write fails the compare-and-swap cleanly (exit 3)', async () => {
    const old = net.pds.putSchema(CAL_DID, 'com.example.cal.event', eventSchema());
    const { p, repo, schemas } = await plan([eventSchema(withNote), CAL_DEFS]);
    let raced = false;
    const e = await failure(
      applyPublish(p, repo, schemas, {
        beforeWrite: (item) => {
          if (item.nsid === 'com.example.cal.event' && !raced) {
            raced = true;
            net.pds.putSchema(CAL_DID, 'com.example.cal.event', { ...eventSchema(), description: 'someone else' });
          }
        },
      }),
    );
    expect(e.code).toBe('RecordChanged');
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain(old);
    expect(e.message).toContain('already published in this run: com.example.cal.defs');
    expect(net.pds.repos.get(CAL_DID)!.records.get('com.atproto.lexicon.schema/com.example.cal.event')!.description).toBe('someone else');
  });

  it('a schema created by someone else after the read is not overwritten (swapRecord null)', async () => {
    const { p, repo, schemas } = await plan([eventSchema()]);
    net.pds.putSchema(CAL_DID, 'com.example.cal.event', { ...eventSchema(), description: 'first!' });
    const e = await failure(applyPublish(p, repo, schemas));
    expect(e.code).toBe('RecordChanged');
    expect(e.message).toMatch(/created by someone else/);
  });

  it('a saved plan: its swap CIDs are used, and a local file changed since is refused', async () => {
    const old = net.pds.putSchema(CAL_DID, 'com.example.cal.event', eventSchema());
    const first = await plan([eventSchema(withNote)]);
    const saved: SavedPlan = parseSavedPlan(JSON.parse(JSON.stringify({ dryRun: true, ...first.p })), 'plan.json');
    expect(saved.items[0]).toEqual({ nsid: 'com.example.cal.event', cid: first.schemas[0]!.cid, swap: old });
    net.pds.putSchema(CAL_DID, 'com.example.cal.event', { ...eventSchema(), description: 'changed meanwhile' });
    const second = await plan([eventSchema(withNote)], { saved });
    expect(second.p.items[0]!.swap).toBe(old);
    const e = await failure(applyPublish(second.p, second.repo, second.schemas));
    expect(e.code).toBe('RecordChanged');
    const outdated = await failure(plan([{ ...eventSchema(withNote), description: 'edited' }], { saved }));
    expect(outdated.code).toBe('PlanOutdated');
    expect((await failure(plan([CAL_DEFS], { saved }))).code).toBe('PlanMismatch');
    expect(() => parseSavedPlan({ did: CAL_DID, items: [{ nsid: 'a.b.c' }] }, 'plan.json')).toThrow(/swap/);
  });

  it('a write the repository does not prove afterwards is reported (read-back verification)', async () => {
    // After the write, keep serving the proof from before it (the record absent).
    let before: Uint8Array | undefined;
    net.pds.tamper = ({ blocks, root }) => {
      const written = net.pds.calls.some((c) => c.startsWith('putRecord'));
      if (!written) before = encodeCar([root], blocks);
      return before;
    };
    const { p, repo, schemas } = await plan([eventSchema()]);
    const first = await failure(applyPublish(p, repo, schemas));
    expect(first.code).toBe('PublishNotVerified');
  });

  describe('the publish policy (preparePublish)', () => {
    const lockOf = (entries: Record<string, string>): LexiconLock => ({
      version: 1,
      pulled: Object.keys(entries),
      lexicons: Object.fromEntries(Object.entries(entries).map(([nsid, did]) => [nsid, { cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm', did, rev: '3kabcdefghij2' }])),
    });

    it('sets aside schemas the lock records as pulled from another publisher; the account keeps its own, pulled or not', async () => {
      const { schemas } = await readLocalSchemas([project([eventSchema(), CAL_DEFS, GEO_DEFS])]);
      const { own, foreign } = selectPublishable(schemas, lockOf({ 'org.other.geo.defs': OTHER_DID, 'com.example.cal.defs': CAL_DID }), CAL_DID);
      expect(own.map((s) => s.nsid)).toEqual(['com.example.cal.defs', 'com.example.cal.event']);
      expect(foreign).toEqual([{ nsid: 'org.other.geo.defs', file: expect.stringMatching(/geo\/defs\.json$/), did: OTHER_DID }]);
      expect(selectPublishable(schemas, undefined, CAL_DID).foreign).toEqual([]);
      // Seen from the other publisher, the same lock makes the calendar schemas its own and the pulled one foreign.
      expect(selectPublishable(schemas, lockOf({ 'com.example.cal.event': CAL_DID }), OTHER_DID).foreign.map((f) => f.nsid)).toEqual(['com.example.cal.event']);
    });

    it('plans only the own schemas, linted with the project root; nothing to plan when all are pulled', async () => {
      const dir = project([eventSchema(), CAL_DEFS, GEO_DEFS]);
      const resolver = net.resolver();
      const repo = await resolver.repo(CAL_DID);
      const { schemas } = await readLocalSchemas([dir]);
      const prepared = await preparePublish({ resolver, repo, pds: 'http://localhost:2583', schemas, lock: lockOf({ 'org.other.geo.defs': OTHER_DID }), roots: [dir] });
      expect(prepared.foreign.map((f) => f.nsid)).toEqual(['org.other.geo.defs']);
      expect(prepared.lint.files).toBe(2);
      expect(prepared.plan!.items.map((i) => [i.nsid, i.action])).toEqual([
        ['com.example.cal.defs', 'create'],
        ['com.example.cal.event', 'create'],
      ]);
      // The other authority was never consulted: its schema is not being published.
      expect(prepared.plan!.dns.map((d) => d.authority)).toEqual(['cal.example.com']);
      const none = await preparePublish({ resolver, repo, pds: '', schemas: schemas.filter((s) => s.nsid.startsWith('org.')), lock: lockOf({ 'org.other.geo.defs': OTHER_DID }) });
      expect(none).toMatchObject({ plan: null, schemas: [], foreign: [{ nsid: 'org.other.geo.defs' }] });
      expect(net.pds.calls.filter((c) => c.startsWith('putRecord'))).toEqual([]);
    });

    it('a file outside its place under the project root is a lint warning, not an error: the plan goes ahead', async () => {
      const dir = project([CAL_DEFS]);
      writeFileSync(join(dir, 'event.json'), JSON.stringify(eventSchema()));
      const resolver = net.resolver();
      const { schemas } = await readLocalSchemas([dir]);
      const prepared = await preparePublish({ resolver, repo: await resolver.repo(CAL_DID), pds: '', schemas, roots: [dir] });
      expect(prepared.lint.findings.map((f) => f.code)).toContain('file-path-mismatch');
      expect(prepared.lint.errors).toBe(0);
      expect(prepared.plan!.items).toHaveLength(2);
    });

    it('refuses a plan blocked by breaking changes, naming each, and nothing else', () => {
      expect(() => refuseBlocked({ blocked: [] })).not.toThrow();
      let thrown: unknown;
      try {
        refuseBlocked({ blocked: ['com.example.cal.event: 1 breaking change (string-format)'] });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject({ code: 'BreakingChange', exitCode: 3, details: { blocked: ['com.example.cal.event: 1 breaking change (string-format)'] } });
      expect((thrown as AtcliError).message).toContain('string-format');
      expect((thrown as AtcliError).hint).not.toMatch(/--|atcli/);
    });
  });
});
