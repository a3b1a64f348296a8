// Lexicon publishing and resolution against the real local network: the reference PDS, the PLC
// directory and the DNS server (for _lexicon TXT records).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { xrpc, type TestNetwork } from '../network/client.js';
import { expectNoStack, stderrJsonError, stdoutJson, type CliResult } from '../cli/run-cli.js';
import { runIn } from '../support/test-io.js';
import { devFlags, network, networkInfo, newAccount, type TestAccount } from './helpers.js';

const COLLECTION = 'com.atproto.lexicon.schema';
const rand = `x${Math.random().toString(36).slice(2, 8).replace(/[^a-z0-9]/g, 'a')}`;
const GROUP = `test.${rand}.demo`;
const AUTHORITY = `demo.${rand}.test`;
const ITEM = `${GROUP}.item`;
const DEFS = `${GROUP}.defs`;
const LIST = `${GROUP}.getItems`;

type Json = Record<string, unknown>;

function itemSchema(edit: (record: Json) => void = () => {}): Json {
  const record: Json = {
    type: 'object',
    required: ['name', 'createdAt'],
    properties: {
      name: { type: 'string', maxLength: 300, maxGraphemes: 100, description: 'Name of the item.' },
      link: { type: 'string', format: 'uri', description: 'Where the item is described.' },
      tags: { type: 'array', items: { type: 'ref', ref: `${DEFS}#tag` }, maxLength: 10, description: 'Tags.' },
      embed: { type: 'union', refs: [`${DEFS}#tag`, `${DEFS}#note`], description: 'Something attached.' },
      createdAt: { type: 'string', format: 'datetime', description: 'When the item was created.' },
    },
  };
  edit(record);
  return { lexicon: 1, id: ITEM, defs: { main: { type: 'record', description: 'An item in a test collection.', key: 'tid', record } } };
}

const defsSchema: Json = {
  lexicon: 1,
  id: DEFS,
  defs: {
    tag: { type: 'object', description: 'A tag.', required: ['value'], properties: { value: { type: 'string', maxLength: 64, maxGraphemes: 64, description: 'The tag text.' } } },
    note: { type: 'object', description: 'A note.', required: ['text'], properties: { text: { type: 'string', maxLength: 1000, maxGraphemes: 300, description: 'The note text.' } } },
  },
};

const listSchema: Json = {
  lexicon: 1,
  id: LIST,
  defs: {
    main: {
      type: 'query',
      description: 'List items.',
      parameters: { type: 'params', properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 50, description: 'How many items.' } } },
      output: { encoding: 'application/json', schema: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { type: 'ref', ref: ITEM }, description: 'The items.' } } } },
    },
  },
};

function writeSchema(dir: string, doc: Json): string {
  const file = `${join(dir, ...(doc.id as string).split('.'))}.json`;
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  return file;
}

function ndjson<T>(r: CliResult): T[] {
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}

describe.skipIf(!networkInfo)('atcli lex against the local network', () => {
  let net: TestNetwork;
  let alice: TestAccount;
  let bob: TestAccount;
  let root: string;
  let dir: string;
  let itemFile: string;
  let login: Record<string, string>;
  // In-process, with the environment a login needs (ATCLI_IDENTIFIER, ATCLI_PASSWORD, ATCLI_PDS_URL).
  const lex = async (args: string[], env: Record<string, string> = {}): Promise<CliResult> => ({ ...(await runIn([...devFlags(net), 'lex', ...args], { env })), signal: null });
  const published = async (nsid: string, did = alice.did): Promise<{ cid: string; value: Json } | null> => {
    try {
      return await xrpc<{ cid: string; value: Json }>(alice.pdsUrl, 'com.atproto.repo.getRecord', { params: { repo: did, collection: COLLECTION, rkey: nsid } });
    } catch {
      return null;
    }
  };

  beforeAll(async () => {
    net = await network();
    alice = await newAccount(net, 'lexpub');
    bob = await newAccount(net, 'lexother', 'b');
    await net.setTxt(`_lexicon.${AUTHORITY}`, [[`did=${alice.did}`]]);
    root = mkdtempSync(join(tmpdir(), 'atcli-lex-e2e-'));
    dir = join(root, 'lexicons');
    itemFile = writeSchema(dir, itemSchema());
    writeSchema(dir, defsSchema);
    writeSchema(dir, listSchema);
    login = { ATCLI_IDENTIFIER: alice.did, ATCLI_PASSWORD: alice.password, ATCLI_PDS_URL: alice.pdsUrl };
  });

  it('check-dns: the group resolves to the publishing account', async () => {
    const r = await lex(['check-dns', '--lexicons', dir, '--did', alice.did, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(ndjson(r)).toEqual([
      { authority: AUTHORITY, name: `_lexicon.${AUTHORITY}`, nsids: [DEFS, LIST, ITEM], expected: alice.did, status: 'ok', did: alice.did, record: null, detail: `_lexicon.${AUTHORITY} names ${alice.did}` },
    ]);
  });

  it('publish: a dry run plans three new schemas; the publish writes and verifies them; a second publish skips them', async () => {
    const dry = await lex(['publish', '--lexicons', dir, '--dry-run', '--json'], login);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = stdoutJson<{ did: string; items: Array<{ nsid: string; action: string; swap: string | null }>; blocked: string[] }>(dry);
    expect(plan.did).toBe(alice.did);
    expect(plan.items.map((i) => [i.nsid, i.action, i.swap])).toEqual([
      [DEFS, 'create', null],
      [LIST, 'create', null],
      [ITEM, 'create', null],
    ]);
    expect(await published(ITEM)).toBeNull();

    const r = await lex(['publish', '--lexicons', dir, '--json'], login);
    expect(r.code, r.stderr).toBe(0);
    const out = stdoutJson<{ published: number; items: Array<{ nsid: string; cid: string; verified: boolean; rev: string }> }>(r);
    expect(out.published).toBe(3);
    expect(out.items.every((i) => i.verified && typeof i.rev === 'string')).toBe(true);
    for (const i of out.items) expect((await published(i.nsid))!.cid).toBe(i.cid);
    const stored = await published(ITEM);
    expect(stored!.value).toEqual({ $type: COLLECTION, ...itemSchema() });

    const again = await lex(['publish', '--lexicons', dir], login);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/0 published, 3 unchanged/);
  });

  it('resolve: DNS → DID → PDS → record, with the proof verified', async () => {
    const r = await lex(['resolve', ITEM, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = stdoutJson<Json & { checks: Array<{ ok: boolean }>; schema: Json }>(r);
    expect(out).toMatchObject({ nsid: ITEM, authority: AUTHORITY, dnsName: `_lexicon.${AUTHORITY}`, did: alice.did, pds: net.pds.a.url, uri: `at://${alice.did}/${COLLECTION}/${ITEM}`, verified: true });
    expect(out.cid).toBe((await published(ITEM))!.cid);
    expect(out.checks.length).toBeGreaterThan(2);
    expect(out.checks.every((c) => c.ok)).toBe(true);
    expect(out.schema).toEqual(itemSchema());

    const human = await lex(['resolve', ITEM]);
    expect(human.code, human.stderr).toBe(0);
    expect(JSON.parse(human.stdout)).toEqual(itemSchema());
    expect(human.stderr).toMatch(/proof verified/);
    expect(human.stderr).toContain(alice.did);
  });

  it('resolve: exit 4 when DNS has no _lexicon record, or the authority has not published the NSID', async () => {
    const none = await lex(['resolve', `test.${rand}.nowhere.thing`, '--json']);
    expect(none.code).toBe(4);
    expect(stderrJsonError(none).code).toBe('LexiconAuthorityNotFound');
    expect(stderrJsonError(none).hint).toContain(`_lexicon.nowhere.${rand}.test`);
    const absent = await lex(['resolve', `${GROUP}.missing`]);
    expect(absent.code).toBe(4);
    expect(absent.stderr).toMatch(/absence proven/);
    expectNoStack(absent);
  });

  let consumer: string;
  it('pull: fetches the schema and what it references with verified proofs, and records them in the lock; --frozen agrees', async () => {
    consumer = join(mkdtempSync(join(tmpdir(), 'atcli-lex-consumer-')), 'lexicons');
    const r = await lex(['pull', ITEM, '--lexicons', consumer, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = stdoutJson<{ lexicons: Array<{ nsid: string; status: string; cid: string; did: string }>; lockWritten: boolean }>(r);
    expect(out.lexicons.map((l) => [l.nsid, l.status, l.did])).toEqual([
      [DEFS, 'created', alice.did],
      [ITEM, 'created', alice.did],
    ]);
    expect(out.lockWritten).toBe(true);
    expect(JSON.parse(readFileSync(`${join(consumer, ...ITEM.split('.'))}.json`, 'utf8'))).toEqual(itemSchema());
    const lock = JSON.parse(readFileSync(join(consumer, '..', 'lexicons.lock.json'), 'utf8')) as { pulled: string[]; lexicons: Record<string, { cid: string; did: string; rev: string }> };
    expect(lock.pulled).toEqual([ITEM]);
    expect(Object.keys(lock.lexicons)).toEqual([DEFS, ITEM]);
    expect(lock.lexicons[ITEM]!.cid).toBe((await published(ITEM))!.cid);

    const group = await lex(['pull', `${GROUP}.*`, '--lexicons', consumer, '--json']);
    expect(group.code, group.stderr).toBe(0);
    expect(stdoutJson<{ lexicons: Array<{ nsid: string; status: string }> }>(group).lexicons.map((l) => [l.nsid, l.status])).toEqual([
      [DEFS, 'unchanged'],
      [LIST, 'created'],
      [ITEM, 'unchanged'],
    ]);
    const frozen = await lex(['pull', '--frozen', '--lexicons', consumer]);
    expect(frozen.code, frozen.stderr).toBe(0);
    expect(frozen.stdout).toMatch(/3 schemas match/);
  });

  it('publish leaves schemas pulled from another publisher alone', async () => {
    const bobLogin = { ATCLI_IDENTIFIER: bob.did, ATCLI_PASSWORD: bob.password, ATCLI_PDS_URL: bob.pdsUrl };
    const r = await lex(['publish', '--lexicons', consumer, '--json'], bobLogin);
    expect(r.code, r.stderr).toBe(0);
    expect(stdoutJson<{ published: number; skipped: string[] }>(r)).toMatchObject({ published: 0, skipped: [DEFS, LIST, ITEM] });
  });

  it('status: every local schema is in sync', async () => {
    const r = await lex(['status', '--lexicons', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = ndjson<{ nsid: string; status: string; localCid: string; remoteCid: string }>(r);
    expect(rows.map((x) => [x.nsid, x.status])).toEqual([
      [DEFS, 'in-sync'],
      [LIST, 'in-sync'],
      [ITEM, 'in-sync'],
    ]);
  });

  it('a local edit shows in diff and status', async () => {
    writeSchema(dir, itemSchema((r) => ((r.properties as Json).note = { type: 'string', maxLength: 200, maxGraphemes: 100, description: 'A note.' })));
    const d = await lex(['diff', itemFile, '--json']);
    expect(d.code, d.stderr).toBe(0);
    const diff = stdoutJson<{ published: { cid: string; inSync: boolean }; changes: Array<{ kind: string; path: string }>; breaking: unknown[] }>(d);
    expect(diff.published.inSync).toBe(false);
    expect(diff.changes).toEqual([expect.objectContaining({ kind: 'added', path: 'defs.main.record.properties.note' })]);
    expect(diff.breaking).toEqual([]);
    const human = await lex(['diff', ITEM, '--lexicons', dir]);
    expect(human.stdout).toMatch(/\+ defs\.main\.record\.properties\.note/);
    expect(human.stdout).toMatch(/evolution: compatible/);
    const s = await lex(['status', '--lexicons', dir, '--json']);
    expect(ndjson<{ nsid: string; status: string }>(s).find((x) => x.nsid === ITEM)!.status).toBe('differs');
    // The two-file form still works.
    const two = await lex(['diff', itemFile, itemFile, '--json']);
    expect(stdoutJson<{ changes: unknown[] }>(two).changes).toEqual([]);
  });

  it('a breaking edit (new required field, narrowed format, closed union) is reported by breaking and refused by publish unless --force', async () => {
    const before = (await published(ITEM))!.cid;
    writeSchema(
      dir,
      itemSchema((r) => {
        (r.properties as Json).color = { type: 'string', maxLength: 20, maxGraphemes: 20, description: 'Colour.' };
        (r.required as string[]).push('color');
        ((r.properties as Record<string, Json>).link!).format = 'at-uri';
        ((r.properties as Record<string, Json>).embed!).closed = true;
      }),
    );
    const b = await lex(['breaking', ITEM, '--lexicons', dir, '--json']);
    expect(b.code).toBe(3);
    const report = stdoutJson<{ breaking: boolean; published: { cid: string }; findings: Array<{ code: string; level: string }> }>(b);
    expect(report.breaking).toBe(true);
    expect(report.published.cid).toBe(before);
    expect(report.findings.filter((f) => f.level === 'error').map((f) => f.code).sort()).toEqual(['required-field-added', 'string-format', 'union-open-closed']);

    const refused = await lex(['publish', '--lexicons', dir, '--json'], login);
    expect(refused.code).toBe(3);
    expect(stderrJsonError(refused).code).toBe('BreakingChange');
    expect(stdoutJson<{ blocked: string[] }>(refused).blocked).toHaveLength(1);
    expect((await published(ITEM))!.cid).toBe(before);
    const text = await lex(['publish', '--lexicons', dir], login);
    expect(text.code).toBe(3);
    expect(text.stderr).toMatch(/refusing to publish: .*3 breaking changes/);
    expect(text.stderr).toMatch(/hint: .*--force/);
    expectNoStack(text);

    const forced = await lex(['publish', '--lexicons', dir, '--force', '--json'], login);
    expect(forced.code, forced.stderr).toBe(0);
    const after = (await published(ITEM))!.cid;
    expect(after).not.toBe(before);
    expect(stdoutJson<{ items: Array<{ nsid: string; cid: string; action: string }> }>(forced).items.find((i) => i.nsid === ITEM)).toMatchObject({ action: 'update', cid: after });
    const breakingNow = await lex(['breaking', ITEM, '--lexicons', dir]);
    expect(breakingNow.code).toBe(0);
  });

  it('pull --frozen detects that a pulled schema changed since it was locked (exit 3), and writes nothing', async () => {
    const lockText = readFileSync(join(consumer, '..', 'lexicons.lock.json'), 'utf8');
    const r = await lex(['pull', '--frozen', '--lexicons', consumer, '--json']);
    expect(r.code).toBe(3);
    const out = stdoutJson<{ drift: Array<{ nsid: string; kind: string }> }>(r);
    expect(out.drift).toEqual([expect.objectContaining({ nsid: ITEM, kind: 'changed' })]);
    expect(readFileSync(join(consumer, '..', 'lexicons.lock.json'), 'utf8')).toBe(lockText);
    const status = await lex(['status', '--lexicons', consumer, '--json']);
    const row = ndjson<{ nsid: string; status: string; lockedCid: string; remoteCid: string }>(status).find((x) => x.nsid === ITEM)!;
    expect(row.status).toBe('differs');
    expect(row.lockedCid).not.toBe(row.remoteCid);
  });

  it('a concurrent remote change between the dry run and the publish fails the compare-and-swap cleanly (exit 3)', async () => {
    const current = (await published(ITEM))!;
    const local = JSON.parse(readFileSync(itemFile, 'utf8')) as Json;
    writeFileSync(itemFile, `${JSON.stringify({ ...local, description: 'Items, described better.' }, null, 2)}\n`);
    const dry = await lex(['publish', '--lexicons', dir, '--dry-run', '--json'], login);
    expect(dry.code, dry.stderr).toBe(0);
    const planFile = join(root, 'plan.json');
    writeFileSync(planFile, dry.stdout);
    const planned = stdoutJson<{ items: Array<{ nsid: string; action: string; swap: string | null }> }>(dry).items.find((i) => i.nsid === ITEM)!;
    expect(planned).toMatchObject({ action: 'update', swap: current.cid });

    // Another process writes the record directly.
    const concurrent = { ...current.value, description: 'Changed by another process.' };
    const session = await xrpc<{ accessJwt: string }>(alice.pdsUrl, 'com.atproto.server.createSession', { body: { identifier: alice.did, password: alice.password } });
    const put = await xrpc<{ cid: string }>(alice.pdsUrl, 'com.atproto.repo.putRecord', { accessJwt: session.accessJwt, body: { repo: alice.did, collection: COLLECTION, rkey: ITEM, record: concurrent } });

    const r = await lex(['publish', '--lexicons', dir, '--plan', planFile, '--json'], login);
    expect(r.code).toBe(3);
    const err = stderrJsonError(r);
    expect(err.code).toBe('RecordChanged');
    expect(err.message).toContain(current.cid);
    expect(err.message).toMatch(/nothing was overwritten/);
    expect((await published(ITEM))!.cid).toBe(put.cid);
    expectNoStack(r);

    // Without the stale plan, publish reads the new version and replaces it (the change is compatible).
    const fresh = await lex(['publish', '--lexicons', dir, '--json'], login);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(stdoutJson<{ items: Array<{ nsid: string; swap: string }> }>(fresh).items.find((i) => i.nsid === ITEM)!.swap).toBe(put.cid);
  });

  it('check-dns exits 4 for an authority without a TXT record and prints the record to add', async () => {
    const other = join(mkdtempSync(join(tmpdir(), 'atcli-lex-nodns-')), 'lexicons');
    writeSchema(other, { lexicon: 1, id: `test.${rand}.nodns.thing`, defs: { t: { type: 'token', description: 'A token.' } } });
    writeSchema(other, defsSchema);
    const r = await lex(['check-dns', '--lexicons', other, '--did', alice.did]);
    expect(r.code).toBe(4);
    expect(r.stdout.split('\n')[0]!.split('\t')).toEqual(['✓', `_lexicon.${AUTHORITY}`, 'ok', `→ ${alice.did}`, '1 schema']);
    expect(r.stdout).toContain(`add: _lexicon.nodns.${rand}.test. TXT "did=${alice.did}"`);
    const json = await lex(['check-dns', '--lexicons', other, '--json'], login);
    expect(json.code).toBe(4);
    const rows = ndjson<{ name: string; status: string; record: string | null; expected: string | null }>(json);
    expect(rows.map((x) => [x.name, x.status])).toEqual([
      [`_lexicon.${AUTHORITY}`, 'ok'],
      [`_lexicon.nodns.${rand}.test`, 'missing'],
    ]);
    // With ATCLI_IDENTIFIER a DID, the expected DID is known without a stored login.
    expect(rows[1]!.record).toBe(`_lexicon.nodns.${rand}.test. TXT "did=${alice.did}"`);
    // And publish refuses it (exit 4) with the same record in the hint.
    const pub = await lex(['publish', '--lexicons', other, '--json'], login);
    expect(pub.code).toBe(4);
    expect(stderrJsonError(pub).hint).toContain(`_lexicon.nodns.${rand}.test. TXT "did=${alice.did}"`);
  });

  it('publish refuses when _lexicon names another DID (L7), and writes nothing', async () => {
    await net.setTxt(`_lexicon.other.${rand}.test`, [[`did=${bob.did}`]]);
    const other = join(mkdtempSync(join(tmpdir(), 'atcli-lex-l7-')), 'lexicons');
    const nsid = `test.${rand}.other.thing`;
    writeSchema(other, { lexicon: 1, id: nsid, defs: { t: { type: 'token', description: 'A token.' } } });
    const r = await lex(['publish', '--lexicons', other, '--json'], login);
    expect(r.code).toBe(3);
    const err = stderrJsonError(r);
    expect(err.code).toBe('LexiconAuthorityMismatch');
    expect(err.message).toContain(bob.did);
    expect(await published(nsid)).toBeNull();
    const dns = await lex(['check-dns', '--lexicons', other, '--did', alice.did]);
    expect(dns.code).toBe(3);
    expect(dns.stdout).toMatch(/mismatch/);
    // --skip-dns-check publishes anyway (the schema then resolves to bob's repository, where it is absent).
    const skipped = await lex(['publish', '--lexicons', other, '--skip-dns-check', '--json'], login);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(await published(nsid)).not.toBeNull();
    const resolved = await lex(['resolve', nsid]);
    expect(resolved.code).toBe(4);
  });

  it('not logged in: publish exits 5 with a hint', async () => {
    const r = await lex(['publish', '--lexicons', dir]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/hint: .*login/);
  });
});
