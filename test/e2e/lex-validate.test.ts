// Lexicon validation of live records against the real local network: records written to the
// reference PDS (a valid post, a record in a custom collection whose schema is in a project folder,
// records whose schema is published and found by Lexicon resolution, records written with
// validate=false that break their schema, a collection nobody has a schema for), validated one by
// one by AT-URI (with their inclusion proofs) and as a whole repository, live and from a CAR file.
import { createReadStream, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKey, parseDidKey } from '../../src/core/crypto/index.js';
import { resolveIdentity, type IdentityConfig } from '../../src/core/identity/index.js';
import { loadLexicons } from '../../src/core/lexicon/index.js';
import { LexiconResolver, SchemaFinder, validateAccountRepository, validateRecordAtUri, validateRepository, type RepoValidationReport } from '../../src/core/lexicon/network.js';
import { XrpcClient } from '../../src/core/xrpc/index.js';
import { createRecord, xrpc, type TestNetwork } from '../network/client.js';
import { runIn, type InProcessResult, type TestIOOptions } from '../support/test-io.js';
import { devFlags, network, networkInfo, newAccount, type TestAccount } from './helpers.js';

const SHIPPED = fileURLToPath(new URL('../../lexicons/', import.meta.url));
const rand = `v${Math.random().toString(36).slice(2, 8).replace(/[^a-z0-9]/g, 'a')}`;
const NOTE = `test.${rand}.notes.note`;
const ITEM = `test.${rand}.pub.item`;
const NOWHERE = `test.${rand}.nowhere.thing`;
// Its schema (in the project folder) refers to a schema nobody publishes: records that use it cannot be checked.
const LINKED = `test.${rand}.notes.linked`;
const GONE = `test.${rand}.gone.defs`;
const now = (): string => new Date().toISOString();

const noteSchema = {
  lexicon: 1,
  id: NOTE,
  defs: { main: { type: 'record', key: 'tid', record: { type: 'object', required: ['body', 'createdAt'], properties: { body: { type: 'string', maxLength: 100 }, createdAt: { type: 'string', format: 'datetime' } } } } },
};
const linkedSchema = {
  lexicon: 1,
  id: LINKED,
  defs: { main: { type: 'record', key: 'tid', record: { type: 'object', properties: { thing: { type: 'ref', ref: `${GONE}#thing` } } } } },
};
const itemSchema = {
  lexicon: 1,
  id: ITEM,
  defs: { main: { type: 'record', key: 'tid', record: { type: 'object', required: ['count'], properties: { count: { type: 'integer', minimum: 0, maximum: 10 } } } } },
};

describe.skipIf(!networkInfo)('Lexicon validation of live records', () => {
  let net: TestNetwork;
  let alice: TestAccount;
  let config: IdentityConfig;
  let folder: string;
  const uris: Record<string, { uri: string; cid: string }> = {};

  async function schemas(): Promise<SchemaFinder> {
    const { catalog } = await loadLexicons([SHIPPED]);
    await loadLexicons([folder], catalog);
    return new SchemaFinder(catalog, { bundledDir: SHIPPED, resolver: new LexiconResolver(config) });
  }

  const write = async (name: string, collection: string, record: Record<string, unknown>, validate?: boolean): Promise<void> => {
    const res = await xrpc<{ uri: string; cid: string }>(alice.pdsUrl, 'com.atproto.repo.createRecord', {
      accessJwt: alice.accessJwt,
      body: { repo: alice.did, collection, record: { $type: collection, ...record }, ...(validate === undefined ? {} : { validate }) },
    });
    uris[name] = res;
  };

  beforeAll(async () => {
    net = await network();
    alice = await newAccount(net, 'lexval');
    config = {
      http: { timeoutMs: 10_000, userAgent: 'atcli-test', allowPrivateNetwork: true, connectTo: [] },
      plcUrl: net.plcUrl,
      dnsServers: [net.dnsServer],
      dev: true,
    };
    folder = mkdtempSync(join(tmpdir(), 'atcli-lexval-'));
    mkdirSync(join(folder, 'test', rand, 'notes'), { recursive: true });
    writeFileSync(join(folder, 'test', rand, 'notes', 'note.json'), JSON.stringify(noteSchema));
    writeFileSync(join(folder, 'test', rand, 'notes', 'linked.json'), JSON.stringify(linkedSchema));
    // ITEM's schema is published in alice's repository, its authority pointing there by DNS.
    await createRecord(alice.pdsUrl, alice.accessJwt, alice.did, 'com.atproto.lexicon.schema', { $type: 'com.atproto.lexicon.schema', ...itemSchema }, ITEM);
    await net.setTxt(`_lexicon.pub.${rand}.test`, [[`did=${alice.did}`]]);

    await write('post', 'app.bsky.feed.post', { text: 'hello, lexicons', createdAt: now() });
    await write('badPost', 'app.bsky.feed.post', { text: 'x'.repeat(3001), createdAt: now() }, false);
    await write('note', NOTE, { body: 'a note', createdAt: now() });
    await write('item', ITEM, { count: 3 });
    await write('badItem', ITEM, { count: 11 }, false);
    await write('nowhere', NOWHERE, { anything: 'goes' });
    await write('linked', LINKED, { thing: { value: 'x' } });
  }, 60_000);

  it('a valid post: proof verified, bundled schema, valid', async () => {
    const r = await validateRecordAtUri(uris.post!.uri, { identity: config, schemas: await schemas() });
    expect(r).toMatchObject({ uri: uris.post!.uri, did: alice.did, collection: 'app.bsky.feed.post', cid: uris.post!.cid, status: 'valid', valid: true, errors: [] });
    expect(r.schema).toMatchObject({ kind: 'local', nsid: 'app.bsky.feed.post', bundled: true });
    expect(r.proof.valid).toBe(true);
    expect(r.proof.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['signature', 'mst', 'record']));
  });

  it('a post written with validate=false that breaks its schema is invalid, with the errors', async () => {
    const r = await validateRecordAtUri(uris.badPost!.uri, { identity: config, schemas: await schemas() });
    expect(r).toMatchObject({ status: 'invalid', valid: false, cid: uris.badPost!.cid });
    expect(r.proof.valid).toBe(true);
    expect(r.errors).toEqual([{ path: 'text', message: expect.stringContaining('3000') }]);
  });

  it('a custom collection validates against the schema in the project folder', async () => {
    const r = await validateRecordAtUri(uris.note!.uri, { identity: config, schemas: await schemas() });
    expect(r).toMatchObject({ status: 'valid', schema: { kind: 'local', nsid: NOTE, bundled: false } });
    expect((r.schema as { file: string }).file.startsWith(folder)).toBe(true);
  });

  it('a published schema is found by Lexicon resolution', async () => {
    const finder = await schemas();
    const ok = await validateRecordAtUri(uris.item!.uri, { identity: config, schemas: finder });
    expect(ok).toMatchObject({ status: 'valid', schema: { kind: 'network', nsid: ITEM, did: alice.did, uri: `at://${alice.did}/com.atproto.lexicon.schema/${ITEM}` } });
    const bad = await validateRecordAtUri(uris.badItem!.uri, { identity: config, schemas: finder });
    expect(bad).toMatchObject({ status: 'invalid', errors: [{ path: 'count', message: expect.stringContaining('maximum') }] });
  });

  it('no schema anywhere: reported as no-schema, not invalid; an absent record is not found', async () => {
    const r = await validateRecordAtUri(uris.nowhere!.uri, { identity: config, schemas: await schemas() });
    expect(r).toMatchObject({ status: 'no-schema', valid: false, schema: null, errors: [] });
    expect(r.reason).toMatch(/_lexicon/);
    await expect(validateRecordAtUri(`at://${alice.did}/app.bsky.feed.post/3zzzzzzzzzzzz`, { identity: config, schemas: await schemas() })).rejects.toMatchObject({ code: 'RecordNotFound', kind: 'notFound' });
    await expect(validateRecordAtUri(`at://${alice.did}`, { identity: config, schemas: await schemas() })).rejects.toMatchObject({ code: 'InvalidAtUri', kind: 'usage' });
  });

  function expectCounts(report: RepoValidationReport): void {
    expect(report.repository.valid).toBe(true);
    expect(report).toMatchObject({ status: 'invalid', recordsValidated: true, did: alice.did });
    const by = Object.fromEntries(report.collections.map((c) => [c.collection, c]));
    expect(by['app.bsky.feed.post']).toMatchObject({ records: 2, valid: 1, invalid: 1, noSchema: 0 });
    expect(by['app.bsky.feed.post']!.problems).toEqual([{ uri: uris.badPost!.uri, cid: uris.badPost!.cid, errors: [{ path: 'text', message: expect.stringContaining('3000') }] }]);
    expect(by[NOTE]).toMatchObject({ records: 1, valid: 1 });
    expect(by[ITEM]).toMatchObject({ records: 2, valid: 1, invalid: 1, schema: { kind: 'network' } });
    expect(by[NOWHERE]).toMatchObject({ records: 1, noSchema: 1, invalid: 0 });
    expect(by['com.atproto.lexicon.schema']).toMatchObject({ records: 1, valid: 1 });
    expect(report.totals.records).toBe(report.collections.reduce((n, c) => n + c.records, 0));
  }

  it('the whole repository, live from the PDS', async () => {
    const report = await validateAccountRepository(alice.did, { identity: config, schemas: await schemas() });
    expectCounts(report);
  });

  it('the whole repository, from a CAR file', async () => {
    const client = new XrpcClient({ service: alice.pdsUrl, http: config.http });
    const { body } = await client.queryBytes('com.atproto.sync.getRepo', { did: alice.did }, { maxBytes: 10 * 1024 * 1024 });
    const file = join(folder, 'repo.car');
    writeFileSync(file, body);
    const report = await validateRepository(createReadStream(file, { highWaterMark: 1024 }), {
      schemas: await schemas(),
      verify: {
        expectedDid: alice.did,
        resolveKey: async (did) => {
          const { signingKey } = await resolveIdentity(config, did);
          return signingKey === undefined ? undefined : parseDidKey(signingKey);
        },
      },
    });
    expectCounts(report);
  });

  // ---------------------------------------------------------------------------------------------
  // The command: atcli lex validate <at-uri> and --all, in-process against the same network.

  const cli = (args: string[], opts: TestIOOptions = {}): Promise<InProcessResult> => runIn([...devFlags(net), 'lex', 'validate', ...args], opts);
  const TTY = { tty: { stdout: true, stderr: true } };
  const parsed = <T>(r: InProcessResult): T => {
    try {
      return JSON.parse(r.stdout) as T;
    } catch {
      throw new Error(`stdout is not JSON:\n${r.stdout}\nstderr:\n${r.stderr}`);
    }
  };
  const errorOf = (r: InProcessResult): { code: string; message: string; hint?: string } => {
    const lines = r.stderr.trim().split('\n');
    return (JSON.parse(lines[lines.length - 1] as string) as { error: { code: string; message: string; hint?: string } }).error;
  };
  type Checked = { uri: string; did: string; collection: string; rkey: string; cid: string; status: string; valid: boolean; schema: Record<string, unknown> | null; reason: string | null; errors: Array<{ path: string; message: string }>; proof: { valid: boolean; rev: string; signingKey: string } };

  describe('atcli lex validate <at-uri>', () => {
    it('a valid record: exit 0, the verdict with its schema and verified proof (JSON and text)', async () => {
      const r = await cli([uris.post!.uri, '--lexicons', folder, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = parsed<Checked>(r);
      expect(out).toMatchObject({ uri: uris.post!.uri, did: alice.did, collection: 'app.bsky.feed.post', cid: uris.post!.cid, status: 'valid', valid: true, errors: [] });
      expect(out.schema).toEqual({ kind: 'local', nsid: 'app.bsky.feed.post', file: 'app/bsky/feed/post.json', bundled: true });
      expect(out.proof).toMatchObject({ valid: true, rev: expect.any(String), signingKey: expect.stringMatching(/^did:key:z/) });
      const text = await cli([uris.post!.uri, '--lexicons', folder], TTY);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(`✓ ${uris.post!.uri}: valid app.bsky.feed.post`);
      expect(text.stdout).toMatch(/^ {2}schema +shipped with atcli \(app\/bsky\/feed\/post\.json\)$/m);
      expect(text.stdout).toMatch(new RegExp(`^ {2}proof +verified at rev \\w+, signed by ${out.proof.signingKey}$`, 'm'));
    });

    it('a record that breaks its schema: exit 3 with each error', async () => {
      const r = await cli([uris.badPost!.uri, '--json']);
      expect(r.code).toBe(3);
      expect(parsed<Checked>(r)).toMatchObject({ status: 'invalid', valid: false, errors: [{ path: 'text', message: expect.stringContaining('3000') }], proof: { valid: true } });
      const text = await cli([uris.badPost!.uri]);
      expect(text.stdout).toContain(`✗ ${uris.badPost!.uri}: 1 error against app.bsky.feed.post`);
      expect(text.stdout).toMatch(/^ {2}text:\t.*3000/m);
    });

    it('schemas from the project folder and by Lexicon resolution; --no-resolve leaves a published schema unfound (exit 4)', async () => {
      const note = await cli([uris.note!.uri, '--lexicons', folder, '--json']);
      expect(note.code, note.stderr).toBe(0);
      expect(parsed<Checked>(note).schema).toMatchObject({ kind: 'local', nsid: NOTE, bundled: false, file: join(folder, 'test', rand, 'notes', 'note.json') });
      const item = await cli([uris.badItem!.uri, '--json']);
      expect(item.code).toBe(3);
      expect(parsed<Checked>(item).schema).toMatchObject({ kind: 'network', nsid: ITEM, did: alice.did });
      const offline = await cli([uris.item!.uri, '--no-resolve', '--json']);
      expect(offline.code).toBe(4);
      expect(parsed<Checked>(offline)).toMatchObject({ status: 'no-schema', schema: null });
    });

    it('no schema anywhere: exit 4 with the reason; a schema that refers to one nobody publishes: could not check, exit 1', async () => {
      const none = await cli([uris.nowhere!.uri, '--json']);
      expect(none.code).toBe(4);
      expect(parsed<Checked>(none)).toMatchObject({ status: 'no-schema', valid: false, reason: expect.stringMatching(/_lexicon/) });
      const text = await cli([uris.nowhere!.uri]);
      expect(text.stdout).toMatch(new RegExp(`^\\? ${uris.nowhere!.uri}: no schema for ${NOWHERE}: `, 'm'));
      const linked = await cli([uris.linked!.uri, '--lexicons', folder, '--json']);
      expect(linked.code, linked.stderr).toBe(1);
      expect(parsed<Checked>(linked)).toMatchObject({ status: 'unchecked', reason: expect.stringContaining(GONE) });
    });

    it('an absent record exits 4 with how to list the collection; a wrong --key fails the proof (exit 3)', async () => {
      const absent = await cli([`at://${alice.did}/app.bsky.feed.post/3zzzzzzzzzzzz`, '--json']);
      expect(absent.code).toBe(4);
      expect(errorOf(absent)).toMatchObject({ code: 'RecordNotFound', hint: `list the collection with "atcli record ls ${alice.did} -c app.bsky.feed.post"` });
      const wrongKey = generatePrivateKey('k256').publicKey.did();
      const forged = await cli([uris.post!.uri, '--key', wrongKey, '--json']);
      expect(forged.code).toBe(3);
      expect(parsed<Checked>(forged)).toMatchObject({ status: 'invalid', schema: null, proof: { valid: false, signingKey: wrongKey }, reason: expect.stringMatching(/proof does not verify/) });
    });
  });

  describe('atcli lex validate --all', () => {
    let bob: TestAccount;
    let carol: TestAccount;
    let carFile: string;
    let carolKey: string;
    type Report = { status: string; did: string; repository: { status: string; valid: boolean }; totals: { records: number; valid: number; invalid: number; noSchema: number }; collections: Array<{ collection: string; records: number; valid: number; invalid: number; noSchema: number; problems: Array<{ uri: string }>; moreProblems: number }> };
    const row = (report: Report, collection: string) => report.collections.find((c) => c.collection === collection);

    beforeAll(async () => {
      bob = await newAccount(net, 'lexall');
      carol = await newAccount(net, 'lexclean');
      const put = async (who: TestAccount, collection: string, record: Record<string, unknown>, validate?: boolean): Promise<void> => {
        await xrpc(who.pdsUrl, 'com.atproto.repo.createRecord', { accessJwt: who.accessJwt, body: { repo: who.did, collection, record: { $type: collection, ...record }, ...(validate === undefined ? {} : { validate }) } });
      };
      for (let i = 0; i < 2; i++) await put(bob, 'app.bsky.feed.post', { text: `fine ${i}`, createdAt: now() });
      for (let i = 0; i < 2; i++) await put(bob, 'app.bsky.feed.post', { text: 'y'.repeat(3001 + i), createdAt: now() }, false);
      await put(bob, NOWHERE, { anything: 1 });
      await put(carol, 'app.bsky.feed.post', { text: 'all good', createdAt: now() });
      await put(carol, NOWHERE, { anything: 2 });
      const client = new XrpcClient({ service: carol.pdsUrl, http: config.http });
      carFile = join(folder, 'carol.car');
      writeFileSync(carFile, (await client.queryBytes('com.atproto.sync.getRepo', { did: carol.did }, { maxBytes: 10 * 1024 * 1024 })).body);
      carolKey = (await resolveIdentity(config, carol.did)).signingKey!;
    }, 60_000);

    it('a live repository with invalid records: exit 3, per collection, the first problems listed (--max-problems)', async () => {
      const r = await cli(['--all', bob.did, '--max-problems', '1', '--json']);
      expect(r.code, r.stderr).toBe(3);
      const report = parsed<Report>(r);
      expect(report).toMatchObject({ status: 'invalid', did: bob.did, repository: { status: 'valid', valid: true }, totals: { records: 5, valid: 2, invalid: 2, noSchema: 1 } });
      expect(row(report, 'app.bsky.feed.post')).toMatchObject({ records: 4, valid: 2, invalid: 2, moreProblems: 1 });
      expect(row(report, 'app.bsky.feed.post')!.problems).toHaveLength(1);
      expect(row(report, 'app.bsky.feed.post')!.problems[0]!.uri).toMatch(new RegExp(`^at://${bob.did}/app\\.bsky\\.feed\\.post/`));
      expect(row(report, NOWHERE)).toMatchObject({ records: 1, noSchema: 1 });
    });

    it('rendered per collection: a table on a terminal, tab-separated rows when piped, a progress line on stderr', async () => {
      const tty = await cli(['--all', bob.did], TTY);
      expect(tty.code).toBe(3);
      expect(tty.stdout).toMatch(/^COLLECTION +RECORDS +VALID +INVALID +NO SCHEMA +UNCHECKED +SCHEMA$/m);
      expect(tty.stdout).toMatch(/^app\.bsky\.feed\.post +4 +2 +2 +0 +0 +shipped with atcli/m);
      expect(tty.stdout).toMatch(/^✗ invalid: 5 records: 2 valid, 2 invalid, 1 without a schema, 0 unchecked$/m);
      expect(tty.stderr).toContain(`validating ${bob.did}`);
      const piped = await cli(['--all', bob.did]);
      expect(piped.stdout.split('\n')).toContainEqual('app.bsky.feed.post\t4\t2\t2\t0\t0\tshipped with atcli (app/bsky/feed/post.json)');
      expect(piped.stdout).toMatch(new RegExp(`^${NOWHERE.replace(/\./g, '\\.')}\\t1\\t0\\t0\\t1\\t0\\t`, 'm'));
    });

    it('collections without a schema do not change the verdict: a repository whose records with schemas are valid exits 0', async () => {
      const r = await cli(['--all', carol.did, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = parsed<Report>(r);
      expect(report).toMatchObject({ status: 'valid', totals: { records: 2, valid: 1, noSchema: 1 } });
    });

    it('a CAR file: valid with the account key; with --key offline; could not check (exit 1) when the key cannot be fetched', async () => {
      const r = await cli(['--all', carFile, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(parsed<Report>(r)).toMatchObject({ status: 'valid', did: carol.did, totals: { records: 2 } });
      const deadPlc = ['--plc', 'http://127.0.0.1:1'];
      const withKey = await runIn([...devFlags(net), ...deadPlc, 'lex', 'validate', '--all', carFile, '--key', carolKey, '--no-resolve', '--json']);
      expect(withKey.code, withKey.stderr).toBe(0);
      const noKey = await runIn([...devFlags(net), ...deadPlc, 'lex', 'validate', '--all', carFile, '--no-resolve', '--json']);
      expect(noKey.code, noKey.stderr).toBe(1);
      expect(parsed<Report>(noKey)).toMatchObject({ status: 'unchecked', repository: { status: 'unchecked', valid: false }, totals: { records: 2, valid: 1 } });
      const text = await runIn([...devFlags(net), ...deadPlc, 'lex', 'validate', '--all', carFile, '--no-resolve']);
      expect(text.stdout).toMatch(/^\? could not check: the repository could not be fully verified/m);
      const wrong = await cli(['--all', carFile, '--key', generatePrivateKey('k256').publicKey.did(), '--json']);
      expect(wrong.code).toBe(3);
      expect(parsed<Report>(wrong)).toMatchObject({ status: 'invalid', repository: { status: 'invalid' }, collections: [] });
    });
  });
});
