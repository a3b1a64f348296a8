import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type TestDnsServer } from '../core/identity/dns-server.js';
import { BIN, cliEnv, expectNoStack, runCli, stderrJsonError, stdoutJson, tempDir, type CliResult } from './run-cli.js';

const SHIPPED = fileURLToPath(new URL('../../lexicons/', import.meta.url));
const CID = 'bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm';

/** Runs the built atcli in `cwd` (runCli always uses the test's working directory). */
function runIn(cwd: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function write(dir: string, name: string, content: unknown): string {
  const file = join(dir, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  return file;
}

interface LintJson {
  files: number;
  errors: number;
  warnings: number;
  infos: number;
  findings: Array<{ file: string; nsid: string | null; code: string; level: string; path: string; message: string; line: number | null; column: number | null }>;
}

/** A project with one broken schema (bad record key and a float), one with a warning, one good. */
function project(): string {
  const dir = tempDir('atcli-lex-');
  write(dir, 'lexicons/com/example/bad.json', '{\n  "lexicon": 1,\n  "id": "com.example.bad",\n  "defs": {\n    "main": {\n      "type": "record",\n      "description": "Bad.",\n      "key": "uuid",\n      "record": { "type": "object", "properties": { "n": { "type": "integer", "maximum": 1.5 } } }\n    }\n  }\n}\n');
  write(dir, 'lexicons/com/example/warn.json', { lexicon: 1, id: 'com.example.warn', defs: { t: { type: 'token' } } });
  write(dir, 'lexicons/com/example/good.json', { lexicon: 1, id: 'com.example.good', defs: { t: { type: 'token', description: 'Fine.' } } });
  return dir;
}

describe('atcli lex lint', () => {
  it('the shipped lexicons lint without errors (default folder ./lexicons)', async () => {
    const r = await runCli(['lex', 'lint', '--json']);
    expect(r.code).toBe(0);
    const out = stdoutJson<LintJson>(r);
    expect(out.files).toBeGreaterThan(250);
    expect(out.errors).toBe(0);
    expect(out.findings.every((f) => f.level !== 'error')).toBe(true);
  });

  it('errors exit 3, with file, line, column, code and path in the text output', async () => {
    const dir = project();
    const r = await runCli(['lex', 'lint', join(dir, 'lexicons')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('com/example/bad.json');
    expect(r.stdout).toMatch(/8:7\s+error\s+defs\.main\.key: invalid record key type "uuid".*lexicon-schema/);
    expect(r.stdout).toMatch(/float-value/);
    expect(r.stdout).toMatch(/3 files checked: 2 errors, 1 warning/);
    expectNoStack(r);
  });

  it('--format json: one object with counts and every finding', async () => {
    const dir = project();
    const r = await runCli(['lex', 'lint', join(dir, 'lexicons'), '--format', 'json']);
    expect(r.code).toBe(3);
    const out = stdoutJson<LintJson>(r);
    expect(out).toMatchObject({ files: 3, errors: 2, warnings: 1, infos: 0 });
    expect(out.findings).toContainEqual({
      file: expect.stringContaining('bad.json'),
      nsid: 'com.example.bad',
      code: 'lexicon-schema',
      level: 'error',
      path: 'defs.main.key',
      message: expect.stringContaining('uuid'),
      line: 8,
      column: 7,
    });
    expect(out.findings).toContainEqual(expect.objectContaining({ code: 'undescribed-token', level: 'warning', nsid: 'com.example.warn' }));
  });

  it('--format github prints workflow annotations with file and line', async () => {
    const dir = project();
    const r = await runCli(['lex', 'lint', join(dir, 'lexicons'), '--format', 'github']);
    expect(r.code).toBe(3);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^::error file=[^,]*bad\.json,line=8,col=7,title=lexicon-schema::defs\.main\.key: invalid record key type "uuid"/));
    expect(lines).toContainEqual(expect.stringMatching(/^::warning file=[^,]*warn\.json,line=\d+,col=\d+,title=undescribed-token::defs\.t: /));
    for (const l of lines) expect(l).toMatch(/^::(error|warning|notice) /);
  });

  it('warnings exit 0, or 3 with --strict', async () => {
    const dir = project();
    const lexicons = join(dir, 'lexicons');
    expect((await runCli(['lex', 'lint', join(lexicons, 'com/example/warn.json'), join(lexicons, 'com/example/good.json')])).code).toBe(0);
    expect((await runCli(['lex', 'lint', join(lexicons, 'com/example/warn.json'), '--strict'])).code).toBe(3);
    expect((await runCli(['lex', 'lint', join(lexicons, 'com/example/good.json'), '--strict'])).code).toBe(0);
  });

  it('--rule and --ignore select rules; an unknown rule is a usage error', async () => {
    const dir = project();
    const warn = join(dir, 'lexicons/com/example/warn.json');
    expect((await runCli(['lex', 'lint', warn, '--strict', '--ignore', 'undescribed-token'])).code).toBe(0);
    const only = stdoutJson<LintJson>(await runCli(['lex', 'lint', join(dir, 'lexicons'), '--json', '--rule', 'undescribed-token,float-value']));
    expect(new Set(only.findings.map((f) => f.code))).toEqual(new Set(['undescribed-token', 'float-value', 'lexicon-schema']));
    const bad = await runCli(['lex', 'lint', warn, '--ignore', 'no-such-rule', '--json']);
    expect(bad.code).toBe(2);
    expect(stderrJsonError(bad).code).toBe('UnknownLintRule');
  });

  it('a malformed JSON file is reported with its line and column, not a stack trace', async () => {
    const dir = tempDir('atcli-lex-');
    write(dir, 'broken.json', '{\n  "lexicon": 1,\n  "id": "com.example.broken"\n  "defs": {}\n}\n');
    const r = await runCli(['lex', 'lint', dir, '--format', 'github']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^::error file=[^,]*broken\.json,line=4,col=3,title=schema-json-parse::not valid JSON: expected ',' or '}'/);
    expectNoStack(r);
  });

  it('without paths and without ./lexicons it says what to do', async () => {
    const r = await runIn(tempDir('atcli-empty-'), ['lex', 'lint', '--json']);
    expect(r.code).toBe(2);
    expect(stderrJsonError({ ...r }).code).toBe('NoLexicons');
  });

  it('a missing path is a usage error (exit 2)', async () => {
    const r = await runCli(['lex', 'lint', '/no/such/folder']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/no/such/folder');
  });

  it('help shows examples', async () => {
    for (const cmd of ['lint', 'validate', 'new', 'diff', 'breaking', 'rules', 'resolve', 'pull', 'publish', 'status', 'check-dns']) {
      const r = await runCli(['lex', cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Examples:');
    }
  });
});

describe('atcli lex rules', () => {
  it('lists every lint and evolution rule', async () => {
    const r = await runCli(['lex', 'rules', '--json']);
    expect(r.code).toBe(0);
    const out = stdoutJson<{ lint: Array<{ code: string }>; breaking: Array<{ code: string }> }>(r);
    expect(out.lint.map((x) => x.code)).toEqual(expect.arrayContaining(['unlimited-string', 'ref-unresolved', 'float-value']));
    expect(out.breaking.map((x) => x.code)).toEqual(expect.arrayContaining(['type-change', 'required-field-added']));
  });
});

describe('atcli lex validate', () => {
  const post = {
    $type: 'app.bsky.feed.post',
    text: 'hello',
    createdAt: '2024-01-01T00:00:00.000Z',
    langs: ['en'],
    embed: { $type: 'app.bsky.embed.images', images: [{ alt: 'a cat', image: { $type: 'blob', ref: { $link: CID }, mimeType: 'image/png', size: 1000 } }] },
  };

  it('a valid post (schema shipped with atcli) exits 0', async () => {
    const dir = tempDir('atcli-lex-');
    const r = await runCli(['lex', 'validate', write(dir, 'post.json', post)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ .*post\.json: valid app\.bsky\.feed\.post/);
  });

  it('an invalid post exits 3 and names the path of each problem', async () => {
    const dir = tempDir('atcli-lex-');
    const bad = { ...post, text: 5, embed: { ...post.embed, images: [{ image: { ...post.embed.images[0]!.image, mimeType: 'text/plain' } }] } };
    const r = await runCli(['lex', 'validate', write(dir, 'bad.json', bad), '--json']);
    expect(r.code).toBe(3);
    const out = stdoutJson<{ valid: boolean; nsid: string; errors: Array<{ path: string; message: string }> }>(r);
    expect(out.valid).toBe(false);
    expect(out.nsid).toBe('app.bsky.feed.post');
    expect(out.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['text', 'embed.images[0].alt', 'embed.images[0].image']));
    const human = await runCli(['lex', 'validate', join(dir, 'bad.json')]);
    expect(human.stdout).toContain('  embed.images[0].alt: required field is missing');
  });

  it('validates against --lexicons, with --nsid, and accepts getRecord output', async () => {
    const dir = tempDir('atcli-lex-');
    const lex = join(dir, 'schemas');
    expect((await runCli(['lex', 'new', 'record', 'com.example.cal.event', '--lexicons', lex])).code).toBe(0);
    const ok = write(dir, 'ok.json', { uri: 'at://did:plc:abc/com.example.cal.event/1', cid: CID, value: { $type: 'com.example.cal.event', createdAt: '2024-01-01T00:00:00Z' } });
    expect((await runCli(['lex', 'validate', ok, '--lexicons', lex])).code).toBe(0);
    const untyped = write(dir, 'untyped.json', { createdAt: 'nope' });
    const r = await runCli(['lex', 'validate', untyped, '--lexicons', lex, '--nsid', 'com.example.cal.event', '--json']);
    expect(r.code).toBe(3);
    expect(stdoutJson<{ errors: Array<{ path: string }> }>(r).errors.map((e) => e.path)).toEqual(['$type', 'createdAt']);
    const noType = await runCli(['lex', 'validate', untyped, '--json']);
    expect(noType.code).toBe(2);
    expect(stderrJsonError(noType).code).toBe('MissingType');
  });

  it('an unknown record type exits 4; a malformed file exits 3 with its position', async () => {
    const dir = tempDir('atcli-lex-');
    const r = await runCli(['lex', 'validate', write(dir, 'x.json', { $type: 'com.example.unknown' }), '--json']);
    expect(r.code).toBe(4);
    expect(stderrJsonError(r).code).toBe('LexiconNotFound');
    const m = await runCli(['lex', 'validate', write(dir, 'm.json', '{"$type": ')]);
    expect(m.code).toBe(3);
    expect(m.stderr).toMatch(/m\.json: not valid JSON: .* line 1, column 11/);
    expectNoStack(m);
    expect((await runCli(['lex', 'validate', join(dir, 'none.json')])).code).toBe(2);
  });
});

describe('atcli lex new', () => {
  it.each(['record', 'query', 'procedure', 'subscription', 'permission-set'])('writes a %s that lints clean', async (kind) => {
    const dir = tempDir('atcli-lex-');
    const nsid = kind === 'subscription' ? 'com.example.cal.subscribeEvents' : 'com.example.cal.thing';
    const r = await runCli(['lex', 'new', kind, nsid, '--lexicons', dir, '--json']);
    expect(r.code).toBe(0);
    const out = stdoutJson<{ file: string; nsid: string; type: string; written: boolean }>(r);
    expect(out).toMatchObject({ nsid, type: kind, written: true });
    const file = join(dir, ...nsid.split('.')) + '.json';
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ lexicon: 1, id: nsid });
    const lint = await runCli(['lex', 'lint', dir, '--json', '--strict']);
    expect(lint.code).toBe(0);
    expect(stdoutJson<LintJson>(lint)).toMatchObject({ files: 1, errors: 0, warnings: 0, infos: 0 });
  });

  it('refuses to overwrite without --force; --dry-run writes nothing', async () => {
    const dir = tempDir('atcli-lex-');
    expect((await runCli(['lex', 'new', 'record', 'com.example.thing', '--lexicons', dir])).code).toBe(0);
    const again = await runCli(['lex', 'new', 'record', 'com.example.thing', '--lexicons', dir, '--json']);
    expect(again.code).toBe(2);
    expect(stderrJsonError(again)).toMatchObject({ code: 'FileExists', hint: expect.stringContaining('--force') });
    const forced = await runCli(['lex', 'new', 'query', 'com.example.thing', '--lexicons', dir, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('overwrote');
    const dry = await runCli(['lex', 'new', 'record', 'com.example.other', '--lexicons', dir, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would create');
    expect(existsSync(join(dir, 'com/example/other.json'))).toBe(false);
  });

  it('rejects an invalid NSID or type', async () => {
    const dir = tempDir('atcli-lex-');
    const r = await runCli(['lex', 'new', 'record', 'nope', '--lexicons', dir, '--json']);
    expect(r.code).toBe(2);
    expect(stderrJsonError(r).code).toBe('InvalidNsid');
    expect((await runCli(['lex', 'new', 'widget', 'com.example.x', '--lexicons', dir])).code).toBe(2);
  });
});

describe('atcli lex diff / breaking', () => {
  const base = {
    lexicon: 1,
    id: 'com.example.post',
    defs: {
      main: {
        type: 'record',
        description: 'A post.',
        key: 'tid',
        record: {
          type: 'object',
          required: ['text'],
          properties: {
            text: { type: 'string', maxLength: 300 },
            author: { type: 'string' },
            embed: { type: 'union', refs: ['#a'] },
          },
        },
      },
      a: { type: 'object', properties: {} },
    },
  };
  const files = () => {
    const dir = tempDir('atcli-lex-');
    type Editable = { defs: { main: { record: { required: string[]; properties: Record<string, unknown> } } } };
    const edited = JSON.parse(JSON.stringify(base)) as Editable;
    edited.defs.main.record.properties.tags = { type: 'array', items: { type: 'string', maxLength: 10 } };
    edited.defs.main.record.properties.author = { type: 'string', format: 'did' };
    edited.defs.main.record.properties.embed = { type: 'union', refs: ['#a'], closed: true };
    edited.defs.main.record.properties.lang = { type: 'string', format: 'language' };
    edited.defs.main.record.required.push('lang');
    const compatible = JSON.parse(JSON.stringify(base)) as Editable;
    compatible.defs.main.record.properties.note = { type: 'string', maxLength: 10 };
    return { old: write(dir, 'old.json', base), breaking: write(dir, 'new.json', edited), compatible: write(dir, 'ok.json', compatible) };
  };

  it('diff lists every change and which are breaking (exit 0)', async () => {
    const f = files();
    const r = await runCli(['lex', 'diff', f.old, f.breaking]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('+ defs.main.record.properties.tags');
    expect(r.stdout).toContain('+ defs.main.record.properties.author.format: "did"');
    expect(r.stdout).toMatch(/evolution: 3 breaking/);
    const j = stdoutJson<{ nsid: string; changes: unknown[]; breaking: Array<{ code: string }> }>(await runCli(['lex', 'diff', f.old, f.breaking, '--json']));
    expect(j.nsid).toBe('com.example.post');
    expect(j.changes.length).toBeGreaterThanOrEqual(5);
    expect(j.breaking.map((b) => b.code).sort()).toEqual(['required-field-added', 'string-format', 'union-open-closed']);
  });

  it('breaking exits 3 for a new required field, a narrowed string format and a closed union', async () => {
    const f = files();
    const r = await runCli(['lex', 'breaking', f.old, f.breaking, '--json']);
    expect(r.code).toBe(3);
    const out = stdoutJson<{ breaking: boolean; errors: number; findings: Array<{ code: string; level: string; path: string }> }>(r);
    expect(out.breaking).toBe(true);
    expect(out.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'required-field-added', level: 'error', path: 'defs.main.record.properties.lang' }),
        expect.objectContaining({ code: 'string-format', level: 'error', path: 'defs.main.record.properties.author.format' }),
        expect.objectContaining({ code: 'union-open-closed', level: 'error', path: 'defs.main.record.properties.embed.closed' }),
      ]),
    );
    const human = await runCli(['lex', 'breaking', f.old, f.breaking]);
    expect(human.stdout).toMatch(/✗ com\.example\.post: 3 breaking changes/);
  });

  it('breaking exits 0 for a compatible change', async () => {
    const f = files();
    const r = await runCli(['lex', 'breaking', f.old, f.compatible]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no breaking changes');
  });

  it('an invalid schema file is reported, not compared', async () => {
    const f = files();
    const dir = tempDir('atcli-lex-');
    const bad = write(dir, 'bad.json', { lexicon: 1, id: 'com.example.post', defs: { main: { type: 'record', key: 'nope' } } });
    const r = await runCli(['lex', 'breaking', f.old, bad, '--json']);
    expect(r.code).toBe(3);
    expect(stderrJsonError(r).code).toBe('InvalidLexicon');
    expectNoStack(r);
  });
});

describe('atcli lex resolve / pull / publish / status / check-dns (offline and local DNS)', () => {
  const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
  let dns: TestDnsServer;
  let dir: string;
  beforeAll(async () => {
    dns = await startDnsServer({ '_lexicon.cal.example.com': [[`did=${DID}`]], '_lexicon.other.example.com': [['did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa']] });
    dir = join(tempDir('atcli-lexnet-'), 'lexicons');
    write(dir, 'com/example/cal/event.json', { lexicon: 1, id: 'com.example.cal.event', defs: { main: { type: 'token', description: 'An event type.' } } });
    write(dir, 'com/example/other/thing.json', { lexicon: 1, id: 'com.example.other.thing', defs: { main: { type: 'token', description: 'A thing.' } } });
    write(dir, 'com/example/nodns/item.json', { lexicon: 1, id: 'com.example.nodns.item', defs: { main: { type: 'token', description: 'An item.' } } });
  });
  afterAll(async () => {
    await dns.close();
  });
  const net = (args: string[], env: Record<string, string> = {}): Promise<CliResult> => runCli(['--dns-server', dns.server, '--timeout', '5', 'lex', ...args], { env });

  it('check-dns: one row per authority; exit 4 with the record to add when one is missing', async () => {
    const r = await net(['check-dns', '--lexicons', dir, '--did', DID]);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain(`✓ _lexicon.cal.example.com → ${DID} (1 schema)`);
    expect(r.stdout).toContain(`add: _lexicon.nodns.example.com. TXT "did=${DID}"`);
    expect(r.stdout).toMatch(/✗ _lexicon.other.example.com: mismatch/);
    expect(r.stdout).toContain(`set: _lexicon.other.example.com. TXT "did=${DID}"`);
    expect(r.stderr).toMatch(/3 authorities: 1 ok, 1 missing, 1 wrong/);
    const json = await net(['check-dns', '--lexicons', dir, '--json']);
    expect(json.code).toBe(4);
    const rows = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; status: string; record: string | null; expected: string | null });
    expect(rows.map((x) => [x.name, x.status])).toEqual([
      ['_lexicon.cal.example.com', 'ok'],
      ['_lexicon.nodns.example.com', 'missing'],
      ['_lexicon.other.example.com', 'ok'],
    ]);
    expect(rows[1]!.record).toBe('_lexicon.nodns.example.com. TXT "did=<DID of the publishing account>"');
    // Only the authorities themselves were asked, never a parent or child domain.
    expect([...new Set(dns.queries)].sort()).toEqual(['_lexicon.cal.example.com', '_lexicon.nodns.example.com', '_lexicon.other.example.com']);
  });

  it('check-dns exits 3 when a record names another DID, 0 when all match', async () => {
    const r = await net(['check-dns', join(dir, 'com/example/other'), '--did', DID]);
    expect(r.code).toBe(3);
    const ok = await net(['check-dns', join(dir, 'com/example/cal'), '--did', DID, '--json']);
    expect(ok.code).toBe(0);
    expect(await net(['check-dns', '--lexicons', dir, '--did', 'did:nope'])).toMatchObject({ code: 2 });
  });

  it('resolve: an invalid NSID is a usage error; no _lexicon record exits 4 with a hint', async () => {
    const bad = await net(['resolve', 'not-an-nsid', '--json']);
    expect(bad.code).toBe(2);
    expect(stderrJsonError(bad).code).toBe('InvalidNsid');
    const none = await net(['resolve', 'com.example.nodns.item']);
    expect(none.code).toBe(4);
    expect(none.stderr).toMatch(/error: no Lexicon authority record: .*_lexicon\.nodns\.example\.com/);
    expect(none.stderr).toMatch(/hint: .*_lexicon\.nodns\.example\.com TXT "did=/);
    expectNoStack(none);
  });

  it('status: schemas whose authority does not resolve are reported as unresolved (exit 0)', async () => {
    const r = await net(['status', join(dir, 'com/example/nodns'), '--json']);
    expect(r.code).toBe(0);
    const row = JSON.parse(r.stdout.trim()) as { nsid: string; status: string; detail: string; localCid: string };
    expect(row).toMatchObject({ nsid: 'com.example.nodns.item', status: 'unresolved' });
    expect(row.detail).toMatch(/_lexicon\.nodns\.example\.com/);
    expect(row.localCid).toMatch(/^bafyrei/);
  });

  it('diff and breaking with one schema compare with the published version (exit 4 when it does not resolve)', async () => {
    const d = await net(['diff', join(dir, 'com/example/nodns/item.json')]);
    expect(d.code).toBe(4);
    const b = await net(['breaking', 'com.example.nodns.item', '--lexicons', dir, '--json']);
    expect(b.code).toBe(4);
    expect(stderrJsonError(b).code).toBe('LexiconAuthorityNotFound');
    const missing = await net(['breaking', 'com.example.nodns.absent', '--lexicons', dir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no local file for com\.example\.nodns\.absent/);
  });

  it('pull: bad targets are usage errors; nothing to pull without targets or a lock; --frozen needs a lock', async () => {
    for (const t of ['com.*', 'nope', 'com..example.*']) {
      const r = await net(['pull', t, '--lexicons', dir]);
      expect(r.code, t).toBe(2);
    }
    const empty = join(tempDir('atcli-pull-'), 'lexicons');
    const none = await net(['pull', '--lexicons', empty, '--json']);
    expect(none.code).toBe(2);
    expect(stderrJsonError(none).code).toBe('NothingToPull');
    const frozen = await net(['pull', 'com.example.cal.event', '--frozen', '--lexicons', empty, '--json']);
    expect(frozen.code).toBe(3);
    expect(stderrJsonError(frozen).code).toBe('LockMissing');
    const broken = tempDir('atcli-pull-');
    writeFileSync(join(broken, 'lexicons.lock.json'), '{"version": 7}');
    const bad = await net(['pull', '--lexicons', join(broken, 'lexicons'), '--json']);
    expect(bad.code).toBe(3);
    expect(stderrJsonError(bad).code).toBe('InvalidLockFile');
  });

  it('publish: not logged in exits 5; a missing folder or a bad plan is reported before any network use', async () => {
    const r = await net(['publish', '--lexicons', dir]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/hint: run "atcli account login"/);
    const nodir = await net(['publish', '--lexicons', join(dir, 'nope')]);
    expect(nodir.code).toBe(2);
    const planFile = join(tempDir('atcli-plan-'), 'plan.json');
    writeFileSync(planFile, 'not json');
    const badPlan = await net(['publish', '--lexicons', dir, '--plan', planFile, '--json']);
    expect(badPlan.code).toBe(2);
    expect(stderrJsonError(badPlan).code).toBe('InvalidPlan');
  });
});
