// The lex commands in-process (test IO: terminals on or off, colour on or off), offline and against
// a local DNS server. What needs the working directory to be elsewhere runs as a subprocess.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type TestDnsServer } from '../core/identity/dns-server.js';
import { runIn, type InProcessResult, type TestIOOptions } from '../support/test-io.js';
import { BIN, cliEnv, tempDir, type CliResult } from './run-cli.js';

const CID = 'bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm';

/** Runs the built atcli with `cwd` as its working directory. */
function runAt(cwd: string, args: string[]): Promise<CliResult> {
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

const lex = (args: string[], opts: TestIOOptions = {}): Promise<InProcessResult> => runIn(['lex', ...args], opts);
const TTY = { tty: { stdout: true, stderr: true } };

function json<T = Record<string, unknown>>(r: { stdout: string; stderr: string }): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

function jsonError(r: { stderr: string }): { code: string; message: string; hint?: string } {
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return (JSON.parse(lines[0] as string) as { error: { code: string; message: string; hint?: string } }).error;
}

function write(dir: string, name: string, content: unknown): string {
  const file = join(dir, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, typeof content === 'string' || Buffer.isBuffer(content) ? content : `${JSON.stringify(content, null, 2)}\n`);
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

/** A schema with an info-level finding only (a closed enum). */
const INFO_ONLY = { lexicon: 1, id: 'com.example.info', defs: { main: { type: 'string', description: 'A colour.', enum: ['red', 'blue'], maxLength: 10 } } };

describe('atcli lex lint', () => {
  it('the shipped lexicons lint without errors (default folder ./lexicons)', async () => {
    const r = await lex(['lint', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<LintJson>(r);
    expect(out.files).toBeGreaterThan(250);
    expect(out.errors).toBe(0);
  });

  it('piped: one tab-separated line per finding (file, line:column, level, message, code), counts on stderr; exit 3 on errors', async () => {
    const dir = project();
    const r = await lex(['lint', join(dir, 'lexicons')]);
    expect(r.code).toBe(3);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows).toContainEqual([expect.stringMatching(/com\/example\/bad\.json$/), '8:7', 'error', expect.stringMatching(/^defs\.main\.key: invalid record key type "uuid"/), 'lexicon-schema']);
    expect(rows.map((row) => row[4])).toEqual(['lexicon-schema', 'float-value', 'undescribed-token']);
    expect(r.stderr).toContain('3 files checked: 2 errors, 1 warning, 0 info');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('on a terminal: grouped by file with aligned columns and the counts on stdout; colour only when enabled', async () => {
    const dir = project();
    const plain = await lex(['lint', join(dir, 'lexicons')], TTY);
    expect(plain.code).toBe(3);
    expect(plain.stdout).toMatch(/^✗ .*com\/example\/bad\.json \(com\.example\.bad\)$/m);
    expect(plain.stdout).toMatch(/^ {2}8:7 +error +defs\.main\.key: invalid record key type "uuid".* +lexicon-schema$/m);
    expect(plain.stdout).toMatch(/^! .*warn\.json/m);
    expect(plain.stdout).toMatch(/3 files checked: 2 errors, 1 warning, 0 info\n$/);
    expect(plain.stdout).not.toContain('\u001b[');
    const coloured = await lex(['lint', join(dir, 'lexicons')], { ...TTY, env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(coloured.stdout).toContain('\u001b[31m');
  });

  it('one name for the third level, "info", in text, JSON, GitHub annotations ("notice") and the rules list', async () => {
    const dir = tempDir('atcli-lex-');
    const file = write(dir, 'com/example/info.json', INFO_ONLY);
    const quiet = await lex(['lint', file], TTY);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toContain('1 file checked: 0 errors, 0 warnings, 1 info (shown with -v)');
    expect(quiet.stdout).not.toMatch(/note/);
    const verbose = await lex(['lint', file, '-v'], TTY);
    expect(verbose.stdout).toMatch(/^ {2}\S+ +info +defs\.main\.enum: .* +closed-enum$/m);
    expect(verbose.stdout).not.toMatch(/note/);
    const piped = await lex(['lint', file, '-v']);
    expect(piped.stdout.split('\t')[2]).toBe('info');
    const j = json<LintJson>(await lex(['lint', file, '--json']));
    expect(j).toMatchObject({ infos: 1, findings: [{ level: 'info', code: 'closed-enum' }] });
    expect((await lex(['lint', file, '--format', 'github', '-v'])).stdout).toMatch(/^::notice file=.*,title=closed-enum::/);
    const rules = json<{ lint: Array<{ code: string; level: string }> }>(await lex(['rules', '--json']));
    expect(rules.lint.find((x) => x.code === 'closed-enum')!.level).toBe('info');
    expect(new Set(rules.lint.map((x) => x.level))).toEqual(new Set(['error', 'warning', 'info']));
    expect((await lex(['lint', '--help'])).stdout.replace(/\s+/g, ' ')).toContain('info (listed with -v, never fails; a "notice" annotation with --format github)');
  });

  it('--format json: one object with counts and every finding', async () => {
    const dir = project();
    const r = await lex(['lint', join(dir, 'lexicons'), '--format', 'json']);
    expect(r.code).toBe(3);
    const out = json<LintJson>(r);
    expect(out).toMatchObject({ files: 3, errors: 2, warnings: 1, infos: 0 });
    expect(out.findings).toContainEqual({ file: expect.stringContaining('bad.json'), nsid: 'com.example.bad', code: 'lexicon-schema', level: 'error', path: 'defs.main.key', message: expect.stringContaining('uuid'), line: 8, column: 7 });
    expect(out.findings).toContainEqual(expect.objectContaining({ code: 'undescribed-token', level: 'warning', nsid: 'com.example.warn' }));
  });

  it('--format github prints workflow annotations with file and line', async () => {
    const dir = project();
    const r = await lex(['lint', join(dir, 'lexicons'), '--format', 'github']);
    expect(r.code).toBe(3);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^::error file=[^,]*bad\.json,line=8,col=7,title=lexicon-schema::defs\.main\.key: invalid record key type "uuid"/));
    expect(lines).toContainEqual(expect.stringMatching(/^::warning file=[^,]*warn\.json,line=\d+,col=\d+,title=undescribed-token::defs\.t: /));
    for (const l of lines) expect(l).toMatch(/^::(error|warning|notice) /);
  });

  it('warnings exit 0, or 3 with --strict', async () => {
    const lexicons = join(project(), 'lexicons');
    expect((await lex(['lint', join(lexicons, 'com/example/warn.json'), join(lexicons, 'com/example/good.json')])).code).toBe(0);
    expect((await lex(['lint', join(lexicons, 'com/example/warn.json'), '--strict'])).code).toBe(3);
    expect((await lex(['lint', join(lexicons, 'com/example/good.json'), '--strict'])).code).toBe(0);
  });

  it('--rule and --ignore select rules; an unknown rule is a usage error', async () => {
    const dir = project();
    const warn = join(dir, 'lexicons/com/example/warn.json');
    expect((await lex(['lint', warn, '--strict', '--ignore', 'undescribed-token'])).code).toBe(0);
    const only = json<LintJson>(await lex(['lint', join(dir, 'lexicons'), '--json', '--rule', 'undescribed-token,float-value']));
    expect(new Set(only.findings.map((f) => f.code))).toEqual(new Set(['undescribed-token', 'float-value', 'lexicon-schema']));
    const bad = await lex(['lint', warn, '--ignore', 'no-such-rule', '--json']);
    expect(bad.code).toBe(2);
    expect(jsonError(bad)).toMatchObject({ code: 'UnknownLintRule', hint: expect.stringContaining('atcli lex rules') });
  });

  it('a malformed JSON file is reported with its line and column', async () => {
    const dir = tempDir('atcli-lex-');
    write(dir, 'broken.json', '{\n  "lexicon": 1,\n  "id": "com.example.broken"\n  "defs": {}\n}\n');
    const r = await lex(['lint', dir, '--format', 'github']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^::error file=[^,]*broken\.json,line=4,col=3,title=schema-json-parse::not valid JSON: expected ',' or '}'/);
  });

  it('a file that is not UTF-8 is an error with its position (exit 3), not a clean lint', async () => {
    const dir = tempDir('atcli-lex-');
    const bytes = Buffer.from('{"lexicon": 1, "id": "com.example.latin",\n "description": "caf\xe9", "defs": {}}', 'latin1');
    const file = write(dir, 'com/example/latin.json', bytes);
    const r = await lex(['lint', file, '--json']);
    expect(r.code).toBe(3);
    const column = bytes.indexOf(0xe9) - bytes.indexOf(0x0a);
    expect(json<LintJson>(r).findings).toEqual([expect.objectContaining({ level: 'error', line: 2, column, message: expect.stringMatching(/not UTF-8/) })]);
  });

  it('a missing path is a usage error (exit 2)', async () => {
    const r = await lex(['lint', '/no/such/folder', '--json']);
    expect(r.code).toBe(2);
    expect(jsonError(r)).toMatchObject({ code: 'FileNotFound', message: expect.stringContaining('/no/such/folder') });
  });

  it('without paths and without ./lexicons it says what to do (exit 2)', async () => {
    const r = await runAt(tempDir('atcli-empty-'), ['lex', 'lint', '--json']);
    expect(r.code).toBe(2);
    expect(jsonError(r)).toMatchObject({ code: 'NoLexicons', hint: expect.stringContaining('atcli lex lint path/to/lexicons') });
  });

  it('in ./lexicons the Lexicon root is the project folder: a subfolder lints clean with --strict, a misplaced file warns', async () => {
    const dir = tempDir('atcli-lexroot-');
    write(dir, 'lexicons/com/example/thing.json', { lexicon: 1, id: 'com.example.thing', defs: { t: { type: 'token', description: 'A thing.' } } });
    const sub = await runAt(dir, ['lex', 'lint', 'lexicons/com/example', '--strict', '--json']);
    expect(sub.code, sub.stdout).toBe(0);
    expect(json<LintJson>(sub).findings).toEqual([]);
    // One level too deep: its path ends in com/example/other.json, but not from the project root.
    write(dir, 'lexicons/extra/com/example/other.json', { lexicon: 1, id: 'com.example.other', defs: { t: { type: 'token', description: 'Another.' } } });
    const deep = await runAt(dir, ['lex', 'lint', 'lexicons/extra', '--strict', '--json']);
    expect(deep.code).toBe(3);
    expect(json<LintJson>(deep).findings).toEqual([expect.objectContaining({ code: 'file-path-mismatch', level: 'warning' })]);
  });
});

describe('atcli lex rules', () => {
  it('lists every lint and evolution rule: JSON, a table on a terminal, tab-separated lines when piped', async () => {
    const out = json<{ lint: Array<{ code: string }>; breaking: Array<{ code: string }> }>(await lex(['rules', '--json']));
    expect(out.lint.map((x) => x.code)).toEqual(expect.arrayContaining(['unlimited-string', 'ref-unresolved', 'float-value']));
    expect(out.breaking.map((x) => x.code)).toEqual(expect.arrayContaining(['type-change', 'required-field-added']));
    const piped = await lex(['rules']);
    const rows = piped.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows).toContainEqual(['lint', 'float-value', 'error', expect.any(String)]);
    expect(rows).toContainEqual(['evolution', 'type-change', '', expect.any(String)]);
    expect(rows).toHaveLength(out.lint.length + out.breaking.length);
    const tty = await lex(['rules'], TTY);
    expect(tty.stdout).toMatch(/^lint rules/);
    expect(tty.stdout).toMatch(/^CODE +LEVEL +DESCRIPTION$/m);
    expect(tty.stdout).toMatch(/^float-value +error +/m);
  });
});

describe('atcli lex validate (record files)', () => {
  const post = {
    $type: 'app.bsky.feed.post',
    text: 'hello',
    createdAt: '2024-01-01T00:00:00.000Z',
    langs: ['en'],
    embed: { $type: 'app.bsky.embed.images', images: [{ alt: 'a cat', image: { $type: 'blob', ref: { $link: CID }, mimeType: 'image/png', size: 1000 } }] },
  };

  it('a valid post (schema shipped with atcli) exits 0', async () => {
    const r = await lex(['validate', write(tempDir('atcli-lex-'), 'post.json', post)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ .*post\.json: valid app\.bsky\.feed\.post/);
    const j = json<{ status: string; schema: { kind: string; bundled: boolean; file: string } }>(await lex(['validate', write(tempDir('atcli-lex-'), 'post.json', post), '--json']));
    expect(j).toMatchObject({ status: 'valid', schema: { kind: 'local', bundled: true, file: 'app/bsky/feed/post.json' } });
  });

  it('an invalid post exits 3 and names the path of each problem', async () => {
    const dir = tempDir('atcli-lex-');
    const bad = { ...post, text: 5, embed: { ...post.embed, images: [{ image: { ...post.embed.images[0]!.image, mimeType: 'text/plain' } }] } };
    const r = await lex(['validate', write(dir, 'bad.json', bad), '--json']);
    expect(r.code).toBe(3);
    const out = json<{ valid: boolean; nsid: string; errors: Array<{ path: string; message: string }> }>(r);
    expect(out).toMatchObject({ valid: false, nsid: 'app.bsky.feed.post' });
    expect(out.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['text', 'embed.images[0].alt', 'embed.images[0].image']));
    const human = await lex(['validate', join(dir, 'bad.json')], TTY);
    expect(human.stdout).toMatch(/^✗ .*bad\.json: 3 errors against app\.bsky\.feed\.post$/m);
    expect(human.stdout).toMatch(/^ {2}embed\.images\[0\]\.alt: +required field is missing$/m);
  });

  it('validates against --lexicons, with --nsid, and accepts getRecord output', async () => {
    const dir = tempDir('atcli-lex-');
    const schemas = join(dir, 'schemas');
    expect((await lex(['new', 'record', 'com.example.cal.event', '--lexicons', schemas])).code).toBe(0);
    const ok = write(dir, 'ok.json', { uri: 'at://did:plc:abc/com.example.cal.event/1', cid: CID, value: { $type: 'com.example.cal.event', createdAt: '2024-01-01T00:00:00Z' } });
    expect((await lex(['validate', ok, '--lexicons', schemas])).code).toBe(0);
    const untyped = write(dir, 'untyped.json', { createdAt: 'nope' });
    const r = await lex(['validate', untyped, '--lexicons', schemas, '--nsid', 'com.example.cal.event', '--json']);
    expect(r.code).toBe(3);
    expect(json<{ errors: Array<{ path: string }> }>(r).errors.map((e) => e.path)).toEqual(['$type', 'createdAt']);
    const noType = await lex(['validate', untyped, '--json']);
    expect(noType.code).toBe(2);
    expect(jsonError(noType)).toMatchObject({ code: 'MissingType', hint: expect.stringContaining('--nsid') });
    expect((await lex(['validate', ok, '--lexicons', join(dir, 'nope')])).code).toBe(2);
  });

  it('an unknown record type exits 4 saying where schemas come from; a malformed file exits 3 with its position; a missing one 2', async () => {
    const dir = tempDir('atcli-lex-');
    const r = await lex(['validate', write(dir, 'x.json', { $type: 'com.example.unknown' }), '--json']);
    expect(r.code).toBe(4);
    expect(jsonError(r)).toMatchObject({ code: 'LexiconNotFound', hint: 'put the schema under --lexicons <dir>, or fetch it with "atcli lex pull com.example.unknown"' });
    const m = await lex(['validate', write(dir, 'm.json', '{"$type": ')]);
    expect(m.code).toBe(3);
    expect(m.stderr).toMatch(/m\.json: not valid JSON: .* line 1, column 11/);
    expect((await lex(['validate', join(dir, 'none.json')])).code).toBe(2);
  });

  it('a record file that is not UTF-8 is invalid (exit 3) with what to do', async () => {
    const file = write(tempDir('atcli-lex-'), 'latin.json', Buffer.from('{"$type": "app.bsky.feed.post", "text": "caf\xe9", "createdAt": "2024-01-01T00:00:00Z"}', 'latin1'));
    const r = await lex(['validate', file, '--json']);
    expect(r.code).toBe(3);
    expect(jsonError(r)).toMatchObject({ code: 'InvalidUtf8', hint: 'save the file as UTF-8' });
  });

  it('--strict-unions fails an open-union member whose type has no schema', async () => {
    const file = write(tempDir('atcli-lex-'), 'post.json', { ...post, embed: { $type: 'com.example.unknown.embed', anything: 1 } });
    expect((await lex(['validate', file])).code).toBe(0);
    const strict = await lex(['validate', file, '--strict-unions', '--json']);
    expect(strict.code).toBe(3);
    expect(json<{ errors: Array<{ path: string }> }>(strict).errors.map((e) => e.path)).toEqual(['embed']);
  });

  it('flags of the other forms are refused, not ignored', async () => {
    const file = write(tempDir('atcli-lex-'), 'post.json', post);
    for (const extra of [['--key', 'did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme'], ['--max-problems', '3']]) {
      const r = await lex(['validate', file, ...extra, '--json']);
      expect(r.code, extra[0]).toBe(2);
      expect(jsonError(r).code).toBe('ConflictingArguments');
    }
    const uri = await lex(['validate', 'at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3k2aaaaaaaaaa', '--nsid', 'app.bsky.feed.post', '--json']);
    expect(uri.code).toBe(2);
    expect(jsonError(uri).code).toBe('ConflictingArguments');
  });

  it('an AT-URI that names no record, and a malformed --key, are usage errors before any network use', async () => {
    const r = await lex(['validate', 'at://did:plc:ewvi7nxzyoun6zhxrhs64oiz', '--json', '--dev', '--plc', 'http://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(jsonError(r)).toMatchObject({ code: 'InvalidAtUri', hint: 'a record URI is at://<handle or DID>/<collection>/<rkey>' });
    const key = await lex(['validate', '--all', 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', '--key', 'zQ3notakey', '--json']);
    expect(key.code).toBe(2);
    expect(jsonError(key).code).toBe('InvalidPublicKey');
    const car = await lex(['validate', '--all', '/no/such/repo.car', '--json']);
    expect(car.code).toBe(2);
    expect(jsonError(car).code).toBe('FileNotFound');
  });
});

describe('atcli lex new', () => {
  it.each(['record', 'query', 'procedure', 'subscription', 'permission-set'])('writes a %s that lints clean', async (kind) => {
    const dir = tempDir('atcli-lex-');
    const nsid = kind === 'subscription' ? 'com.example.cal.subscribeEvents' : 'com.example.cal.thing';
    const r = await lex(['new', kind, nsid, '--lexicons', dir, '--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ nsid, type: kind, written: true });
    const file = `${join(dir, ...nsid.split('.'))}.json`;
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ lexicon: 1, id: nsid });
    const lint = await lex(['lint', dir, '--json', '--strict']);
    expect(lint.code).toBe(0);
    expect(json<LintJson>(lint)).toMatchObject({ files: 1, errors: 0, warnings: 0, infos: 0 });
  });

  it('refuses to overwrite without -f/--force; --dry-run writes nothing', async () => {
    const dir = tempDir('atcli-lex-');
    const first = await lex(['new', 'record', 'com.example.thing', '--lexicons', dir]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('next: fill in the TODOs');
    const again = await lex(['new', 'record', 'com.example.thing', '--lexicons', dir, '--json']);
    expect(again.code).toBe(2);
    expect(jsonError(again)).toMatchObject({ code: 'FileExists', hint: 'pass -f/--force to overwrite it' });
    const forced = await lex(['new', 'query', 'com.example.thing', '--lexicons', dir, '-f']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('overwrote');
    const dry = await lex(['new', 'record', 'com.example.other', '--lexicons', dir, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would create');
    expect(existsSync(join(dir, 'com/example/other.json'))).toBe(false);
  });

  it('rejects an invalid NSID or type', async () => {
    const dir = tempDir('atcli-lex-');
    const r = await lex(['new', 'record', 'nope', '--lexicons', dir, '--json']);
    expect(r.code).toBe(2);
    expect(jsonError(r).code).toBe('InvalidNsid');
    expect((await lex(['new', 'widget', 'com.example.x', '--lexicons', dir])).code).toBe(2);
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
        record: { type: 'object', required: ['text'], properties: { text: { type: 'string', maxLength: 300 }, author: { type: 'string' }, embed: { type: 'union', refs: ['#a'] } } },
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
    const r = await lex(['diff', f.old, f.breaking]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('+ defs.main.record.properties.tags');
    expect(r.stdout).toContain('+ defs.main.record.properties.author.format: "did"');
    expect(r.stdout).toMatch(/evolution: 3 breaking/);
    expect(r.stdout).toMatch(/^ {2}error\trequired-field-added\tdefs\.main\.record\.properties\.lang: /m);
    const j = json<{ nsid: string; changes: unknown[]; breaking: Array<{ code: string }> }>(await lex(['diff', f.old, f.breaking, '--json']));
    expect(j.nsid).toBe('com.example.post');
    expect(j.changes.length).toBeGreaterThanOrEqual(5);
    expect(j.breaking.map((b) => b.code).sort()).toEqual(['required-field-added', 'string-format', 'union-open-closed']);
  });

  it('breaking exits 3 for a new required field, a narrowed string format and a closed union', async () => {
    const f = files();
    const r = await lex(['breaking', f.old, f.breaking, '--json']);
    expect(r.code).toBe(3);
    const out = json<{ breaking: boolean; findings: Array<{ code: string; level: string; path: string }> }>(r);
    expect(out.breaking).toBe(true);
    expect(out.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'required-field-added', level: 'error', path: 'defs.main.record.properties.lang' }),
        expect.objectContaining({ code: 'string-format', level: 'error', path: 'defs.main.record.properties.author.format' }),
        expect.objectContaining({ code: 'union-open-closed', level: 'error', path: 'defs.main.record.properties.embed.closed' }),
      ]),
    );
    const human = await lex(['breaking', f.old, f.breaking], TTY);
    expect(human.stdout).toMatch(/✗ com\.example\.post: 3 breaking changes/);
    expect(human.stdout).toMatch(/^ {2}error +required-field-added +defs\.main\.record\.properties\.lang: /m);
  });

  it('breaking exits 0 for a compatible change', async () => {
    const f = files();
    const r = await lex(['breaking', f.old, f.compatible]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no breaking changes');
  });

  it('an invalid schema file is reported, not compared, with the lint command that lists every problem', async () => {
    const f = files();
    const bad = write(tempDir('atcli-lex-'), 'bad.json', { lexicon: 1, id: 'com.example.post', defs: { main: { type: 'record', key: 'nope' } } });
    const r = await lex(['breaking', f.old, bad, '--json']);
    expect(r.code).toBe(3);
    expect(jsonError(r)).toMatchObject({ code: 'InvalidLexicon', hint: `"atcli lex lint ${bad}" lists every finding with its line` });
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
  const net = (args: string[], opts: TestIOOptions = {}): Promise<InProcessResult> => runIn(['--dns-server', dns.server, '--timeout', '5', 'lex', ...args], opts);

  it('check-dns: one row per authority; exit 4 with the record to add when one is missing', async () => {
    const r = await net(['check-dns', '--lexicons', dir, '--did', DID], TTY);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(new RegExp(`^✓ +_lexicon\\.cal\\.example\\.com +ok +→ ${DID} +1 schema$`, 'm'));
    expect(r.stdout).toMatch(/^✗ +_lexicon\.other\.example\.com +mismatch +/m);
    expect(r.stdout).toContain(`add: _lexicon.nodns.example.com. TXT "did=${DID}"`);
    expect(r.stdout).toContain(`set: _lexicon.other.example.com. TXT "did=${DID}"`);
    expect(r.stderr).toMatch(/3 authorities: 1 ok, 1 missing, 1 wrong/);
    const piped = await net(['check-dns', '--lexicons', dir, '--did', DID]);
    expect(piped.stdout.split('\n')[0]!.split('\t')).toEqual(['✓', '_lexicon.cal.example.com', 'ok', `→ ${DID}`, '1 schema']);
    const j = await net(['check-dns', '--lexicons', dir, '--json']);
    expect(j.code).toBe(4);
    const rows = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; status: string; record: string | null });
    expect(rows.map((x) => [x.name, x.status])).toEqual([
      ['_lexicon.cal.example.com', 'ok'],
      ['_lexicon.nodns.example.com', 'missing'],
      ['_lexicon.other.example.com', 'ok'],
    ]);
    expect(rows[1]!.record).toBe('_lexicon.nodns.example.com. TXT "did=<DID of the publishing account>"');
    expect([...new Set(dns.queries)].sort()).toEqual(['_lexicon.cal.example.com', '_lexicon.nodns.example.com', '_lexicon.other.example.com']);
  });

  it('check-dns exits 3 when a record names another DID, 0 when all match, 2 for a malformed --did', async () => {
    expect((await net(['check-dns', join(dir, 'com/example/other'), '--did', DID])).code).toBe(3);
    expect((await net(['check-dns', join(dir, 'com/example/cal'), '--did', DID, '--json'])).code).toBe(0);
    expect((await net(['check-dns', '--lexicons', dir, '--did', 'did:nope'])).code).toBe(2);
  });

  it('check-dns exits 1 when the DNS server cannot be reached (could not check, not "missing")', async () => {
    const r = await runIn(['--dns-server', '127.0.0.1:1', '--timeout', '5', 'lex', 'check-dns', join(dir, 'com/example/cal'), '--did', DID]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/1 could not be looked up/);
    expect(r.stderr).toMatch(/error: 1 of 1 _lexicon look-up failed \(_lexicon\.cal\.example\.com: /);
    expect(r.stderr).toMatch(/hint: try again; --dns-server chooses another DNS server/);
  });

  it('resolve: an invalid NSID is a usage error; no _lexicon record exits 4 with a hint', async () => {
    const bad = await net(['resolve', 'not-an-nsid', '--json']);
    expect(bad.code).toBe(2);
    expect(jsonError(bad).code).toBe('InvalidNsid');
    const none = await net(['resolve', 'com.example.nodns.item']);
    expect(none.code).toBe(4);
    expect(none.stderr).toMatch(/error: no Lexicon authority record: .*_lexicon\.nodns\.example\.com/);
    expect(none.stderr).toMatch(/hint: .*_lexicon\.nodns\.example\.com TXT "did=/);
  });

  it('status: schemas whose authority does not resolve are reported as unresolved, and the run exits 4', async () => {
    const r = await net(['status', join(dir, 'com/example/nodns'), '--json']);
    expect(r.code).toBe(4);
    const row = JSON.parse(r.stdout.trim()) as { nsid: string; status: string; detail: string; localCid: string };
    expect(row).toMatchObject({ nsid: 'com.example.nodns.item', status: 'unresolved' });
    expect(row.detail).toMatch(/_lexicon\.nodns\.example\.com/);
    expect(row.localCid).toMatch(/^bafyrei/);
    const text = await net(['status', join(dir, 'com/example/nodns')], TTY);
    expect(text.code).toBe(4);
    expect(text.stdout).toMatch(/^\? +com\.example\.nodns\.item +unresolved +no Lexicon authority record/m);
    expect(text.stderr).toMatch(/1 schema: 0 in sync, .*, 1 unresolved/);
  });

  it('diff and breaking with one schema compare with the published version (exit 4 when it does not resolve)', async () => {
    expect((await net(['diff', join(dir, 'com/example/nodns/item.json')])).code).toBe(4);
    const b = await net(['breaking', 'com.example.nodns.item', '--lexicons', dir, '--json']);
    expect(b.code).toBe(4);
    expect(jsonError(b).code).toBe('LexiconAuthorityNotFound');
    const missing = await net(['breaking', 'com.example.nodns.absent', '--lexicons', dir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no local file for com\.example\.nodns\.absent/);
  });

  it('pull: bad targets are usage errors; nothing to pull without targets or a lock; frozen needs a lock', async () => {
    for (const t of ['com.*', 'nope', 'com..example.*']) expect((await net(['pull', t, '--lexicons', dir])).code, t).toBe(2);
    const empty = join(tempDir('atcli-pull-'), 'lexicons');
    const none = await net(['pull', '--lexicons', empty, '--json']);
    expect(none.code).toBe(2);
    expect(jsonError(none)).toMatchObject({ code: 'NothingToPull', hint: expect.stringContaining('atcli lex pull com.example.calendar.event') });
    const frozen = await net(['pull', 'com.example.cal.event', '--frozen', '--lexicons', empty, '--json']);
    expect(frozen.code).toBe(3);
    const e = jsonError(frozen);
    expect(e).toMatchObject({ code: 'LockMissing', hint: expect.stringContaining('without --frozen') });
    expect(e.message).not.toMatch(/--/);
    const broken = tempDir('atcli-pull-');
    writeFileSync(join(broken, 'lexicons.lock.json'), '{"version": 7}');
    const bad = await net(['pull', '--lexicons', join(broken, 'lexicons'), '--json']);
    expect(bad.code).toBe(3);
    expect(jsonError(bad)).toMatchObject({ code: 'InvalidLockFile', hint: expect.stringContaining('atcli lex pull') });
  });

  it('publish: not logged in exits 5; a missing folder or a bad plan is reported before any network use', async () => {
    const r = await net(['publish', '--lexicons', dir]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/hint: run "atcli account login"/);
    expect((await net(['publish', '--lexicons', join(dir, 'nope')])).code).toBe(2);
    const planFile = join(tempDir('atcli-plan-'), 'plan.json');
    writeFileSync(planFile, 'not json');
    const badPlan = await net(['publish', '--lexicons', dir, '--plan', planFile, '--json']);
    expect(badPlan.code).toBe(2);
    expect(jsonError(badPlan)).toMatchObject({ code: 'InvalidPlan', hint: expect.stringContaining('atcli lex publish --dry-run --json > plan.json') });
    writeFileSync(planFile, '{"items": []}');
    expect(jsonError(await net(['publish', '--lexicons', dir, '--plan', planFile, '--json'])).code).toBe('InvalidPlan');
  });
});

describe('lex hints: core states the problem, the command layer names the flag or command', () => {
  it('each lex hint is given on lex commands only where it applies', async () => {
    const { hintFor } = await import('../../src/cli/hints/index.js');
    const { invalid, notFound, usage } = await import('../../src/core/errors.js');
    const uri = 'at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3k2aaaaaaaaaa';
    const noKey = invalid('NoSigningKey', 'the DID document of did:plc:x has no atproto signing key');
    expect(hintFor(noKey, 'lex validate')).toBe('pass the key with --key did:key:z…');
    expect(hintFor(noKey, 'record get')).not.toBe('pass the key with --key did:key:z…');
    expect(hintFor(notFound('RecordNotFound', `no record ${uri}: absent`), 'lex validate')).toBe('list the collection with "atcli record ls did:plc:ewvi7nxzyoun6zhxrhs64oiz -c app.bsky.feed.post"');
    expect(hintFor(notFound('LexiconNotPublished', 'x', { details: { did: 'did:plc:abc' } }), 'lex resolve')).toContain('atcli record ls did:plc:abc -c com.atproto.lexicon.schema');
    const published = invalid('InvalidLexicon', 'x', { details: { uri, source: uri } });
    expect(hintFor(published, 'lex resolve')).toBeUndefined();
    const dns = notFound('LexiconAuthorityNotFound', 'x', { hint: 'add the DNS record _lexicon.example.com. TXT "did=did:plc:abc"' });
    expect(hintFor(dns, 'lex publish')).toBe('add the DNS record _lexicon.example.com. TXT "did=did:plc:abc"; check with "atcli lex check-dns", or pass --skip-dns-check');
    expect(hintFor(dns, 'lex resolve')).toBe(dns.hint);
    expect(hintFor(usage('FileExists', 'x'), 'lex new')).toBe('pass -f/--force to overwrite it');
    expect(hintFor(usage('FileExists', 'x'), 'blob get')).not.toContain('-f/--force');
  });

  it('no message or hint of the Lexicon core names a CLI flag or an atcli command', async () => {
    const { readdirSync, readFileSync: read } = await import('node:fs');
    const dir = new URL('../../src/core/lexicon/', import.meta.url);
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const code = read(new URL(name, dir), 'utf8')
        .split('\n')
        .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l));
      for (const line of code) expect(line, `${name}: ${line.trim()}`).not.toMatch(/['"`][^'"`]*(\batcli [a-z]|\s--[a-z][a-z-]+)[^'"`]*['"`]/);
    }
  });
});
