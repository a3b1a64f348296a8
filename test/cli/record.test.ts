// `atcli record …` in-process against the local test network (reference PLC and PDS,
// test/setup/network.global.ts), plus the local checks a record body passes before any network use.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createAccount, uniqueHandle, xrpc } from '../network/client.js';
import { cidForCbor, encodeCbor, jsonToCbor } from '../../src/core/codec/index.js';
import { generatePrivateKey } from '../../src/core/crypto/index.js';
import { runIn, type InProcessResult, type TestIOOptions } from '../support/test-io.js';
import { runCli, stderrJsonError, stdoutJson, tempDir, expectNoStack } from './run-cli.js';

type CliResult = InProcessResult;

const info = inject('network');

function post(text: string): Record<string, unknown> {
  return { $type: 'app.bsky.feed.post', text, createdAt: '2024-05-01T12:00:00.000Z' };
}

function cidOf(record: unknown): string {
  return cidForCbor(encodeCbor(jsonToCbor(record))).toString();
}

function ndjson(result: CliResult): Array<Record<string, unknown>> {
  return result.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('record bodies are checked before anything is sent', () => {
  const dir = tempDir('atcli-record-body-');
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it.each([
    ['not JSON', '{"$type": "app.bsky.feed.post", text: }', 'InvalidJson'],
    ['no $type', '{"text": "hi"}', 'MissingType'],
    ['a $type of another collection', '{"$type": "app.bsky.feed.like", "text": "hi"}', 'TypeMismatch'],
    ['a float', '{"$type": "app.bsky.feed.post", "text": "hi", "n": 1.5}', 'InvalidRecord'],
    ['a bad $link', '{"$type": "app.bsky.feed.post", "text": "hi", "x": {"$link": "nope"}}', 'InvalidRecord'],
  ])('%s → exit 2 with a hint', async (_name, text, code) => {
    const file = write(`${code}.json`, text);
    const result = await runIn(['--json', 'record', 'create', 'app.bsky.feed.post', file]);
    expect(result.code, result.stderr).toBe(2);
    const err = stderrJsonError(result);
    expect(err.code).toBe(code);
    expect(err.message).toContain(file);
    expect(err.hint).toBeTruthy();
    expectNoStack(result);
  });

  it('reads stdin, and checks the collection and record key arguments', async () => {
    const stdin = await runIn(['record', 'put', 'app.bsky.feed.post', 'self', '-'], { stdin: '{"text": "no type"}' });
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toContain('record from stdin: the record has no "$type"');
    expect((await runIn(['record', 'create', 'not an nsid', write('ok.json', JSON.stringify(post('x')))])).code).toBe(2);
    expect((await runIn(['record', 'put', 'app.bsky.feed.post', 'bad/key', write('ok2.json', JSON.stringify(post('x')))])).code).toBe(2);
    expect((await runIn(['record', 'put', 'app.bsky.feed.post', 'self', write('ok3.json', JSON.stringify(post('x'))), '--swap', 'nope'])).code).toBe(2);
    expect((await runIn(['record', 'get', 'at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/app.bsky.feed.post'])).code).toBe(2);
  });

  it('record get: --cid cannot be verified (a PDS proves only the current version); a private key as --key is refused unechoed', async () => {
    const uri = 'at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/app.bsky.feed.post/3kaaaaaaaaaa2';
    const both = await runIn(['--json', 'record', 'get', uri, '--verify', '--cid', cidOf(post('x'))]);
    expect(both.code).toBe(2);
    expect(stderrJsonError(both).code).toBe('ConflictingArguments');
    const secret = generatePrivateKey('k256').multikey();
    const leaked = await runIn(['record', 'get', uri, '--key', secret]);
    expect(leaked.code).toBe(2);
    expect(leaked.stderr).not.toContain(secret);
    const badCid = await runIn(['--json', 'record', 'get', uri, '--cid', 'nope']);
    expect(badCid.code).toBe(2);
    expect(stderrJsonError(badCid)).toMatchObject({ code: 'InvalidCid', hint: expect.stringContaining('atcli record get') as unknown });
  });

  it('no body on a terminal is a usage error, not a wait for input', async () => {
    const result = await runIn(['record', 'create', 'app.bsky.feed.post'], { tty: { stdin: true } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no record body');
  });

  it('a write without a login is exit 5, after the body checks pass', async () => {
    const result = await runIn(['record', 'create', 'app.bsky.feed.post', write('good.json', JSON.stringify(post('hello')))]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('account login');
  });
});

describe.skipIf(!info)('record commands against the local network', () => {
  const net = info!;
  const dir = tempDir('atcli-record-');
  const configDir = tempDir('atcli-record-config-');
  const password = 'pw-record-test';
  const handle = uniqueHandle('rec');
  let did = '';
  let signingKey = '';
  const global = (): string[] => ['--dev', '--plc', net.plcUrl, '--dns-server', net.dnsServer, '--handle-resolver', net.pds.a.url];
  const cli = (args: string[], input?: string, tty?: TestIOOptions['tty']): Promise<CliResult> =>
    runIn([...global(), ...args], { env: { ATCLI_CONFIG_DIR: configDir }, ...(input === undefined ? {} : { stdin: input }), ...(tty === undefined ? {} : { tty }) });
  const file = (name: string, value: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
    return path;
  };

  // Shared state through the sequence of tests below.
  let first = { uri: '', cid: '' };
  let second = { uri: '', cid: '' };
  let custom = { uri: '', cid: '' };

  beforeAll(async () => {
    const acct = await createAccount(net.pds.a.url, { handle, email: `${handle}@mail.test`, password }, net.adminPassword);
    did = acct.did;
    // The PLC directory's own view of the account: its atproto signing key as a did:key.
    const data = (await (await fetch(`${net.plcUrl}/${did}/data`)).json()) as { verificationMethods: { atproto: string } };
    signingKey = data.verificationMethods.atproto;
    const login = await runCli([...global(), 'account', 'login', '-u', handle, '--pds', net.pds.a.url], { configDir, env: { ATCLI_PASSWORD: password } });
    expect(login.code, login.stderr).toBe(0);
  });

  it('create: prints {uri, cid}; the CID is the record\'s own', async () => {
    const record = post('first post from atcli');
    const result = await cli(['--json', 'record', 'create', 'app.bsky.feed.post', file('first.json', record)]);
    expect(result.code, result.stderr).toBe(0);
    first = stdoutJson<{ uri: string; cid: string }>(result);
    expect(first.uri).toMatch(new RegExp(`^at://${did}/app\\.bsky\\.feed\\.post/[a-z2-7]{13}$`));
    expect(first.cid).toBe(cidOf(record));
    expect(Object.keys(first)).toEqual(['uri', 'cid']);

    const fromStdin = await cli(['record', 'create', 'app.bsky.feed.post', '--rkey', '3kaaaaaaaaaa2'], JSON.stringify(post('second, from stdin')));
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(fromStdin.stdout).toMatch(/^uri\s+at:\/\/did:plc:[a-z2-7]+\/app\.bsky\.feed\.post\/3kaaaaaaaaaa2\ncid\s+bafyrei/);
    second = { uri: `at://${did}/app.bsky.feed.post/3kaaaaaaaaaa2`, cid: cidOf(post('second, from stdin')) };

    const other = { $type: 'com.example.atcli.thing', n: 42, link: { $link: first.cid }, bytes: { $bytes: 'aGVsbG8' } };
    const unvalidated = await cli(['--json', 'record', 'create', 'com.example.atcli.thing', file('thing.json', other), '--rkey', 'self', '--no-validate']);
    expect(unvalidated.code, unvalidated.stderr).toBe(0);
    custom = stdoutJson(unvalidated);
    expect(custom).toEqual({ uri: `at://${did}/com.example.atcli.thing/self`, cid: cidOf(other) });

    // --dry-run shows the record and its CID, and writes nothing (ls below sees exactly three records).
    const draft = post('never written');
    const dry = await cli(['--json', '--dry-run', 'record', 'create', 'app.bsky.feed.post', file('draft.json', draft)]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(stdoutJson(dry)).toEqual({ dryRun: true, uri: null, cid: cidOf(draft), record: draft });

    // A record its Lexicon rejects (checked by the PDS) is invalid data: exit 3.
    const rejected = await cli(['--json', 'record', 'create', 'app.bsky.feed.post', file('rejected.json', { $type: 'app.bsky.feed.post', text: 'no date' })]);
    expect(rejected.code).toBe(3);
    expect(stderrJsonError(rejected)).toMatchObject({ code: 'InvalidRecord', message: expect.stringContaining('createdAt') as unknown, hint: expect.stringContaining('--no-validate') as unknown });
  });

  it('get: the record as {uri, cid, value}, by DID or by handle', async () => {
    const result = await cli(['--json', 'record', 'get', first.uri]);
    expect(result.code, result.stderr).toBe(0);
    expect(stdoutJson(result)).toEqual({ uri: first.uri, cid: first.cid, value: post('first post from atcli') });

    const human = await cli(['record', 'get', first.uri.replace(did, handle)]);
    expect(human.code, human.stderr).toBe(0);
    expect(JSON.parse(human.stdout)).toEqual({ uri: first.uri, cid: first.cid, value: post('first post from atcli') });
    expect(human.stdout).toMatch(/^\{\n  "uri": /);

    const bytes = await cli(['--json', 'record', 'get', custom.uri]);
    expect(stdoutJson<{ value: unknown }>(bytes).value).toEqual({ $type: 'com.example.atcli.thing', n: 42, link: { $link: first.cid }, bytes: { $bytes: 'aGVsbG8' } });
  });

  it('get --verify: checks the PDS\'s signed proof against the DID document\'s key', async () => {
    const result = await cli(['--json', 'record', 'get', first.uri, '--verify']);
    expect(result.code, result.stderr).toBe(0);
    const out = stdoutJson<{ uri: string; cid: string; verified: boolean; proof: { did: string; rev: string; signingKey: string; checks: Array<{ name: string; ok: boolean; detail: string }>; errors: string[] } }>(result);
    expect(out.verified).toBe(true);
    expect(out.cid).toBe(first.cid);
    expect(out.proof.did).toBe(did);
    expect(out.proof.signingKey).toBe(signingKey);
    expect(out.proof.errors).toEqual([]);
    expect(out.proof.checks.map((c) => c.name)).toEqual(['car', 'hashes', 'commit', 'did', 'signature', 'mst', 'record']);
    expect(out.proof.checks.every((c) => c.ok)).toBe(true);

    // The same proof, checked by hand from the raw CAR, agrees.
    const latest = await xrpc<{ rev: string }>(net.pds.a.url, 'com.atproto.sync.getLatestCommit', { params: { did } });
    expect(out.proof.rev).toBe(latest.rev);

    const human = await cli(['record', 'get', second.uri.replace(did, handle), '--verify']);
    expect(human.code, human.stderr).toBe(0);
    expect(JSON.parse(human.stdout)).toMatchObject({ uri: second.uri, cid: second.cid });
    expect(human.stderr).toMatch(/✓ signature\s+valid (k256|p256) signature by did:key:/);
    expect(human.stderr).toMatch(/✓ mst\s+\d+ nodes? /);
    expect(human.stderr).toContain(`proof valid: ${second.uri} is in ${did}'s repository at rev `);

    const custom2 = await cli(['--json', 'record', 'get', custom.uri, '--verify']);
    expect(custom2.code, custom2.stderr).toBe(0);
    expect(stdoutJson<{ verified: boolean; cid: string; value: unknown }>(custom2)).toEqual(
      expect.objectContaining({ verified: true, cid: custom.cid, value: { $type: 'com.example.atcli.thing', n: 42, link: { $link: first.cid }, bytes: { $bytes: 'aGVsbG8' } } }),
    );
  });

  it('get --verify with the wrong key: exit 3, the signature check names the key', async () => {
    const wrong = generatePrivateKey('k256').publicKey.did();
    const result = await cli(['--json', 'record', 'get', first.uri, '--key', wrong]);
    expect(result.code).toBe(3);
    const out = stdoutJson<{ verified: boolean; proof: { checks: Array<{ name: string; ok: boolean; detail: string }> } }>(result);
    expect(out.verified).toBe(false);
    expect(out.proof.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['signature']);
    expect(out.proof.checks.find((c) => c.name === 'signature')!.detail).toContain(wrong);

    const human = await cli(['record', 'get', first.uri, '--key', wrong]);
    expect(human.code).toBe(3);
    expect(human.stderr).toMatch(/✗ signature/);
    expect(human.stderr).toContain('proof INVALID: 1 check failed');
    const quiet = await cli(['-q', 'record', 'get', first.uri, '--key', wrong]);
    expect(quiet.code).toBe(3);
    expect(quiet.stderr).toMatch(/^✗ signature/m);
    expect(quiet.stderr).not.toContain('✓');
  });

  it('put: compare-and-swap with the current CID succeeds, with a stale one exits 3', async () => {
    const updated = post('first post, edited');
    const ok = await cli(['--json', 'record', 'put', 'app.bsky.feed.post', first.uri.split('/').pop()!, file('edit.json', updated), '--swap', first.cid]);
    expect(ok.code, ok.stderr).toBe(0);
    const put = stdoutJson<{ uri: string; cid: string }>(ok);
    expect(put).toEqual({ uri: first.uri, cid: cidOf(updated) });
    const stale = first.cid;
    first = put;

    const again = await cli(['--json', 'record', 'put', 'app.bsky.feed.post', first.uri.split('/').pop()!, file('edit2.json', post('lost update')), '--swap', stale]);
    expect(again.code).toBe(3);
    const err = stderrJsonError(again);
    expect(err.code).toBe('RecordChanged');
    expect(err.message).toContain(`the record changed since ${stale}`);
    expect(err.hint).toContain('atcli record get');
    expectNoStack(again);

    // Nothing changed, and the new version verifies.
    const check = await cli(['--json', 'record', 'get', first.uri, '--verify']);
    expect(check.code, check.stderr).toBe(0);
    expect(stdoutJson<{ cid: string; verified: boolean }>(check)).toMatchObject({ cid: first.cid, verified: true });
  });

  it('ls: every record created, as the PDS lists them', async () => {
    const result = await cli(['--json', 'record', 'ls', did]);
    expect(result.code, result.stderr).toBe(0);
    const rows = ndjson(result);
    const expected = [first, second, custom].map((r) => {
      const [, , , collection, rkey] = r.uri.split('/');
      return { collection, rkey, cid: r.cid, uri: r.uri };
    });
    const sort = (a: Array<Record<string, unknown>>) => [...a].sort((x, y) => String(x.uri).localeCompare(String(y.uri)));
    expect(sort(rows)).toEqual(sort(expected));

    const posts = await cli(['--json', 'record', 'ls', handle, '-c', 'app.bsky.feed.post']);
    expect(sort(ndjson(posts))).toEqual(sort(expected.filter((r) => r.collection === 'app.bsky.feed.post')));

    const human = await cli(['record', 'ls', did, '-c', 'com.example.atcli.thing']);
    expect(human.stdout).toBe(`com.example.atcli.thing/self\t${custom.cid}\n`);
    expect(human.stderr).toContain('1 record in 1 collection');
    const terminal = await cli(['record', 'ls', did, '-c', 'com.example.atcli.thing'], undefined, { stdout: true });
    expect(terminal.stdout).toMatch(new RegExp(`^path +cid\\ncom\\.example\\.atcli\\.thing/self +${custom.cid}\\n$`));

    const limited = await cli(['--json', 'record', 'ls', did, '--limit', '2']);
    expect(ndjson(limited)).toHaveLength(2);

    const collections = await cli(['--json', 'record', 'ls', did, '--collections']);
    expect(stdoutJson<{ did: string; collections: string[] }>(collections)).toEqual({ did, collections: ['app.bsky.feed.post', 'com.example.atcli.thing'] });
  });

  it('delete: asks (and refuses without a terminal), --dry-run changes nothing, --yes deletes; get is then exit 4', async () => {
    const asked = await cli(['record', 'delete', second.uri]);
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain('--yes');

    const dry = await cli(['--json', '--dry-run', 'record', 'delete', second.uri]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(stdoutJson(dry)).toEqual({ dryRun: true, uri: second.uri, cid: second.cid, exists: true, deleted: false });

    const other = await cli(['--yes', 'record', 'delete', 'at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/app.bsky.feed.post/3kaaaaaaaaaa2']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('is not the logged-in account');

    const staleSwap = await cli(['--json', '--yes', 'record', 'delete', second.uri, '--swap', first.cid]);
    expect(staleSwap.code).toBe(3);
    expect(stderrJsonError(staleSwap).message).toContain(`the record changed since ${first.cid}`);

    const done = await cli(['--json', '--yes', 'record', 'delete', second.uri.replace(did, handle), '--swap', second.cid]);
    expect(done.code, done.stderr).toBe(0);
    expect(stdoutJson(done)).toEqual({ uri: second.uri, deleted: true });

    const gone = await cli(['--json', 'record', 'get', second.uri]);
    expect(gone.code).toBe(4);
    const err = stderrJsonError(gone);
    expect(err.message).toContain(second.uri);
    expect(err.code).toBe('RecordNotFound');
    expect(err.hint).toContain(`atcli record ls ${did} -c app.bsky.feed.post`);

    // With --verify, the PDS's signed proof of absence is checked too.
    const goneVerify = await cli(['record', 'get', second.uri, '--verify']);
    expect(goneVerify.code).toBe(4);
    expect(goneVerify.stderr).toContain(`shows it is absent`);
    expect(goneVerify.stderr).toContain(`hint: list the collection with "atcli record ls ${did} -c app.bsky.feed.post"`);
    expectNoStack(goneVerify);

    const ls = await cli(['--json', 'record', 'ls', did, '-c', 'app.bsky.feed.post']);
    expect(ndjson(ls).map((r) => r.uri)).toEqual([first.uri]);
  });
});
