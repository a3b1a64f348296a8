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
import { parseDidKey } from '../../src/core/crypto/index.js';
import { resolveIdentity, type IdentityConfig } from '../../src/core/identity/index.js';
import { loadLexicons } from '../../src/core/lexicon/index.js';
import { LexiconResolver, SchemaFinder, validateAccountRepository, validateRecordAtUri, validateRepository, type RepoValidationReport } from '../../src/core/lexicon/network.js';
import { XrpcClient } from '../../src/core/xrpc/index.js';
import { createRecord, xrpc, type TestNetwork } from '../network/client.js';
import { network, networkInfo, newAccount, type TestAccount } from './helpers.js';

const SHIPPED = fileURLToPath(new URL('../../lexicons/', import.meta.url));
const rand = `v${Math.random().toString(36).slice(2, 8).replace(/[^a-z0-9]/g, 'a')}`;
const NOTE = `test.${rand}.notes.note`;
const ITEM = `test.${rand}.pub.item`;
const NOWHERE = `test.${rand}.nowhere.thing`;
const now = (): string => new Date().toISOString();

const noteSchema = {
  lexicon: 1,
  id: NOTE,
  defs: { main: { type: 'record', key: 'tid', record: { type: 'object', required: ['body', 'createdAt'], properties: { body: { type: 'string', maxLength: 100 }, createdAt: { type: 'string', format: 'datetime' } } } } },
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
    // ITEM's schema is published in alice's repository, its authority pointing there by DNS.
    await createRecord(alice.pdsUrl, alice.accessJwt, alice.did, 'com.atproto.lexicon.schema', { $type: 'com.atproto.lexicon.schema', ...itemSchema }, ITEM);
    await net.setTxt(`_lexicon.pub.${rand}.test`, [[`did=${alice.did}`]]);

    await write('post', 'app.bsky.feed.post', { text: 'hello, lexicons', createdAt: now() });
    await write('badPost', 'app.bsky.feed.post', { text: 'x'.repeat(3001), createdAt: now() }, false);
    await write('note', NOTE, { body: 'a note', createdAt: now() });
    await write('item', ITEM, { count: 3 });
    await write('badItem', ITEM, { count: 11 }, false);
    await write('nowhere', NOWHERE, { anything: 'goes' });
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
});
