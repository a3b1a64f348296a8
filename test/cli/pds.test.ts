// `atcli pds …` in-process against the real local PDSes: describe, health, accounts, and every
// `pds admin` command — each change checked through the PDS's own endpoints, never through atcli's
// code; the plan / confirmation / --yes / --dry-run paths of the destructive actions; the admin
// password from the environment or a hidden prompt, and never in any output.
import { beforeAll, describe, expect, it } from 'vitest';
import { createSession, uniqueHandle, uploadBlob, xrpc, XrpcError, type PdsInfo, type TestNetwork } from '../network/client.js';
import { devFlags, network, networkInfo, newAccount } from '../e2e/helpers.js';
import { ndjsonLines, runIn, type InProcessResult, type TestIOOptions } from '../support/test-io.js';

const DEAD = 'http://127.0.0.1:1';

const ndjson = <T>(r: InProcessResult): T[] => ndjsonLines<T>(r.stdout);

async function status(p: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof XrpcError) return err.status;
    throw err;
  }
}

describe.skipIf(!networkInfo)('atcli pds (in-process, real PDSes)', () => {
  let net: TestNetwork;
  let pdsA: string;
  let invitePds: PdsInfo;
  /** Every output of every run, to prove the admin password is in none of them. */
  const seen: string[] = [];
  const adminHeaders = (): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`admin:${net.adminPassword}`).toString('base64')}` });
  const repoStatus = (pds: string, did: string): Promise<{ active: boolean; status?: string }> => xrpc(pds, 'com.atproto.sync.getRepoStatus', { params: { did } });

  /** atcli with the test network's flags and, unless the test says otherwise, the admin password in the environment. */
  const atcli = async (argv: string[], opts: TestIOOptions = {}): Promise<InProcessResult> => {
    const r = await runIn([...argv, ...devFlags(net)], { ...opts, env: { ATCLI_ADMIN_PASSWORD: net.adminPassword, ...opts.env } });
    seen.push(r.stdout, r.stderr, ...r.io.asked);
    return r;
  };
  const json = <T>(r: InProcessResult): T => {
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as T;
  };

  beforeAll(async () => {
    net = await network();
    pdsA = net.pds.a.url;
    invitePds = await net.startPds('c', { inviteRequired: true });
  });

  it('describe and health: what the PDS serves, as JSON and for people; an unreachable host is exit 1', async () => {
    const raw = await xrpc<{ did: string; availableUserDomains: string[] }>(pdsA, 'com.atproto.server.describeServer');
    expect(json(await atcli(['pds', 'describe', pdsA, '--json']))).toMatchObject({ url: pdsA, did: raw.did, availableUserDomains: raw.availableUserDomains, inviteCodeRequired: false });
    expect(json<{ inviteCodeRequired: boolean }>(await atcli(['pds', 'describe', invitePds.url, '--json'])).inviteCodeRequired).toBe(true);
    const human = await atcli(['pds', 'describe', invitePds.url], { tty: { stdout: true } });
    expect(human.stdout).toMatch(/^did\s+did:web:localhost$/m);
    expect(human.stdout).toMatch(/^invite code\s+required$/m);

    const version = ((await (await fetch(`${pdsA}/xrpc/_health`)).json()) as { version: string }).version;
    expect(json(await atcli(['pds', 'health', pdsA, '--json']))).toMatchObject({ url: pdsA, healthy: true, status: 200, version });
    expect((await atcli(['pds', 'health', pdsA], { tty: { stdout: true } })).stdout).toMatch(/^health\s+✓ healthy$/m);
    const down = await atcli(['pds', 'health', DEAD, '--json']);
    expect(down.code).toBe(1);
    expect(JSON.parse(down.stderr.trim().split('\n').at(-1) as string)).toMatchObject({ error: { code: 'NetworkError' } });
    expect((await atcli(['pds', 'describe', 'ftp://x.example'])).code).toBe(2);
  });

  it('accounts: listRepos as NDJSON, a table on a terminal, TSV when piped; --status and --count', async () => {
    const live = await newAccount(net, 'clils', 'b');
    const off = await newAccount(net, 'clioff', 'b');
    await xrpc(off.pdsUrl, 'com.atproto.server.deactivateAccount', { accessJwt: off.accessJwt, body: {} });
    const head = await xrpc<{ cid: string; rev: string }>(live.pdsUrl, 'com.atproto.sync.getLatestCommit', { params: { did: live.did } });

    const rows = ndjson<{ did: string }>(await atcli(['pds', 'accounts', net.pds.b.url, '--json']));
    expect(rows.find((r) => r.did === live.did)).toEqual({ did: live.did, head: head.cid, rev: head.rev, active: true });
    expect(rows.find((r) => r.did === off.did)).toMatchObject({ active: false, status: 'deactivated' });
    const deactivated = ndjson<{ did: string }>(await atcli(['pds', 'accounts', net.pds.b.url, '--status', 'deactivated', '--json'])).map((r) => r.did);
    expect(deactivated).toContain(off.did);
    expect(deactivated).not.toContain(live.did);

    const count = json<{ total: number; active: number; inactive: Record<string, number> }>(await atcli(['pds', 'accounts', net.pds.b.url, '--count', '--json']));
    expect(count.total).toBe(rows.length);
    expect(count.inactive['deactivated']).toBeGreaterThanOrEqual(1);

    const table = await atcli(['pds', 'accounts', net.pds.b.url], { tty: { stdout: true } });
    expect(table.stdout.split('\n')[0]).toMatch(/^did\s+status\s+rev\s+head$/);
    expect(table.stdout).toMatch(new RegExp(`^${live.did}\\s+active\\s+${head.rev}\\s+${head.cid}$`, 'm'));
    expect(table.stderr).toMatch(/\d+ accounts/);
    const piped = await atcli(['pds', 'accounts', net.pds.b.url]);
    expect(piped.stdout).toContain(`${live.did}\tactive\t${head.rev}\t${head.cid}\n`);
    expect(piped.stdout).not.toMatch(/^did\tstatus/);
    expect((await atcli(['pds', 'accounts', net.pds.b.url, '--count'], { tty: { stdout: true } })).stdout).toMatch(/^inactive: deactivated\s+\d+$/m);
  });

  it('the admin password: from ATCLI_ADMIN_PASSWORD or a hidden prompt; without a terminal a usage error naming the variable; a wrong one is exit 5', async () => {
    const acct = await newAccount(net, 'clipw');
    const noEnv = { ATCLI_ADMIN_PASSWORD: undefined };
    const cannot = await atcli(['pds', 'admin', 'account', 'info', acct.did, '--pds', pdsA, '--json'], { env: noEnv });
    expect(cannot.code).toBe(2);
    expect(JSON.parse(cannot.stderr.trim()).error).toMatchObject({ code: 'InputRequired', hint: expect.stringContaining('ATCLI_ADMIN_PASSWORD') });

    const asked = await atcli(['pds', 'admin', 'account', 'info', acct.did, '--pds', pdsA, '--json'], { env: noEnv, tty: { stdin: true, stderr: true }, answers: [net.adminPassword] });
    expect(asked.io.asked).toEqual([`Admin password of ${new URL(pdsA).host}`]);
    expect(json(asked)).toMatchObject({ did: acct.did, handle: acct.handle });

    const wrong = `wrong-${Math.random().toString(36).slice(2)}`;
    const refused = await atcli(['pds', 'admin', 'account', 'info', acct.did, '--pds', pdsA, '-v'], { env: { ATCLI_ADMIN_PASSWORD: wrong } });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/hint: check ATCLI_ADMIN_PASSWORD/);
    expect(refused.stderr).not.toContain(wrong);
    // There is no flag that takes it.
    expect((await atcli(['pds', 'admin', 'account', 'list', '--pds', pdsA, '--password', 'x'])).code).toBe(2);
  });

  it('account list and info: what getAccountInfo and getRepoStatus report, as NDJSON, JSON and for people', async () => {
    const acct = await newAccount(net, 'cliinfo');
    const listed = ndjson<{ did: string }>(await atcli(['pds', 'admin', 'account', 'list', '--pds', pdsA, '--json'])).find((a) => a.did === acct.did);
    expect(listed).toMatchObject({ did: acct.did, handle: acct.handle, email: acct.email, active: true });
    const table = await atcli(['pds', 'admin', 'account', 'list', '--pds', pdsA], { tty: { stdout: true } });
    expect(table.stdout.split('\n')[0]).toMatch(/^handle\s+did\s+email\s+status\s+created$/);
    expect(table.stdout).toMatch(new RegExp(`^${acct.handle}\\s+${acct.did}\\s+${acct.email}\\s+active\\s+\\d{4}-`, 'm'));

    const raw = await xrpc<{ email: string; indexedAt: string }>(pdsA, 'com.atproto.admin.getAccountInfo', { params: { did: acct.did }, headers: adminHeaders() });
    const info = json(await atcli(['pds', 'admin', 'account', 'info', acct.handle, '--pds', pdsA, '--json']));
    expect(info).toMatchObject({ did: acct.did, handle: acct.handle, email: raw.email, createdAt: raw.indexedAt, takedown: { applied: false }, repo: { active: true } });
    const human = await atcli(['pds', 'admin', 'account', 'info', acct.did, '--pds', pdsA], { tty: { stdout: true } });
    expect(human.stdout).toMatch(/^repository\s+active at rev \w+$/m);
    expect(human.stdout).toMatch(/^takedown\s+none$/m);

    const missing = await atcli(['pds', 'admin', 'account', 'info', 'nobody-here.test', '--pds', pdsA]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('hint: see the accounts of that PDS with: atcli pds admin account list');
  });

  it('create on an invite-only PDS (the generated password once, on stdout only), update-handle, update-email, reset-password, each with --dry-run', async () => {
    const handle = uniqueHandle('clinew');
    const dry = json<{ dryRun: boolean }>(await atcli(['pds', 'admin', 'account', 'create', '--handle', handle, '--email', `${handle}@mail.test`, '--pds', invitePds.url, '--dry-run', '--json']));
    expect(dry).toMatchObject({ dryRun: true, handle });
    expect(await status(xrpc(invitePds.url, 'com.atproto.identity.resolveHandle', { params: { handle } }))).toBe(400);

    const made = await atcli(['pds', 'admin', 'account', 'create', '--handle', handle, '--email', `${handle}@mail.test`, '--pds', invitePds.url], { tty: { stdout: true } });
    expect(made.code, made.stderr).toBe(0);
    const password = /^password\s+([a-z2-7]{24})$/m.exec(made.stdout)?.[1] as string;
    expect(password).toBeDefined();
    expect(made.stdout.split(password)).toHaveLength(2);
    expect(made.stderr).not.toContain(password);
    expect(made.stderr).toContain('shown only this once');
    expect(made.stdout).toMatch(/^invite code\s+\S+/m);
    const did = /^did\s+(did:plc:\w+)$/m.exec(made.stdout)?.[1] as string;
    expect((await createSession(invitePds.url, handle, password)).did).toBe(did);

    // An existing identity needs a service-auth token: from ATCLI_SERVICE_AUTH or a prompt, never argv.
    const noToken = await atcli(['pds', 'admin', 'account', 'create', '--handle', uniqueHandle('clidid'), '--email', 'x@mail.test', '--existing-did', did, '--pds', invitePds.url, '--json']);
    expect(noToken.code).toBe(2);
    expect(JSON.parse(noToken.stderr.trim()).error).toMatchObject({ code: 'InputRequired', hint: expect.stringContaining('ATCLI_SERVICE_AUTH') });
    expect((await atcli(['pds', 'admin', 'account', 'create', '--handle', uniqueHandle('clikey'), '--email', 'x@mail.test', '--recovery-key', 'zQ3sh-private', '--pds', invitePds.url])).code).toBe(2);

    const chosen = `chosen-${Math.random().toString(36).slice(2)}`;
    const other = uniqueHandle('clichosen');
    const withEnv = await atcli(['pds', 'admin', 'account', 'create', '--handle', other, '--email', `${other}@mail.test`, '--pds', invitePds.url, '--json'], { env: { ATCLI_NEW_PASSWORD: chosen } });
    expect(json(withEnv)).not.toHaveProperty('password');
    expect(withEnv.stdout + withEnv.stderr).not.toContain(chosen);
    expect((await createSession(invitePds.url, other, chosen)).handle).toBe(other);

    const renamed = uniqueHandle('clirenamed');
    const dryRename = json(await atcli(['pds', 'admin', 'account', 'update-handle', did, renamed, '--pds', invitePds.url, '--dry-run', '--json']));
    expect(dryRename).toEqual({ dryRun: true, action: 'update-handle', pds: invitePds.url, did, from: handle, to: renamed });
    expect(json(await atcli(['pds', 'admin', 'account', 'update-handle', did, renamed, '--pds', invitePds.url, '--json']))).toMatchObject({ did, handle: renamed });
    expect(await xrpc(invitePds.url, 'com.atproto.identity.resolveHandle', { params: { handle: renamed } })).toEqual({ did });
    expect((await atcli(['pds', 'admin', 'account', 'update-handle', did, 'not a handle', '--pds', invitePds.url])).code).toBe(2);

    const email = `new-${renamed}@mail.test`;
    expect((await atcli(['pds', 'admin', 'account', 'update-email', renamed, email, '--pds', invitePds.url], { tty: { stdout: true } })).stdout).toMatch(new RegExp(`^email\\s+${email}`, 'm'));
    expect((await xrpc<{ email: string }>(invitePds.url, 'com.atproto.admin.getAccountInfo', { params: { did }, headers: adminHeaders() })).email).toBe(email);

    expect(json(await atcli(['pds', 'admin', 'account', 'reset-password', did, '--pds', invitePds.url, '--dry-run', '--json']))).toMatchObject({ dryRun: true, did });
    expect((await createSession(invitePds.url, did, password)).did).toBe(did);
    const reset = json<{ did: string; password: string }>(await atcli(['pds', 'admin', 'account', 'reset-password', did, '--pds', invitePds.url, '--json']));
    expect(reset.password).toMatch(/^[a-z2-7]{24}$/);
    expect(await status(createSession(invitePds.url, did, password))).toBe(401);
    expect((await createSession(invitePds.url, did, reset.password)).did).toBe(did);
  });

  it('takedown: the plan, then a confirmation (no terminal: exit 2; "no": exit 2; --dry-run: nothing changes); done, then nothing to do; untakedown round-trips', async () => {
    const acct = await newAccount(net, 'clitake');
    const take = ['pds', 'admin', 'account', 'takedown', acct.did, '--pds', pdsA, '--ref', 'case-42'];

    const noTerminal = await atcli([...take, '--json']);
    expect(noTerminal.code).toBe(2);
    expect(JSON.parse(noTerminal.stderr.trim().split('\n').at(-1) as string).error).toMatchObject({ code: 'ConfirmationRequired', hint: expect.stringContaining('--yes') });
    const dry = await atcli([...take, '--dry-run', '--json']);
    expect(json(dry)).toMatchObject({ executed: false, result: null, plan: { action: 'takedown', did: acct.did, handle: acct.handle, ref: 'case-42', takedownBefore: { applied: false }, reversible: true, noop: false } });
    const dryHuman = await atcli([...take, '--dry-run'], { tty: { stdout: true } });
    expect(dryHuman.stdout).toContain(`take down ${acct.did} (${acct.handle}) on ${new URL(pdsA).host}`);
    expect(dryHuman.stdout).toMatch(/^ {2}- the account can no longer log in or write$/m);
    expect(dryHuman.stderr).toContain('dry run: nothing was changed');
    const no = await atcli(take, { tty: { stdin: true, stderr: true }, answers: [false] });
    expect(no.code).toBe(2);
    expect(no.io.asked).toEqual([`Take down ${acct.did} (${acct.handle}) on ${new URL(pdsA).host}?`]);
    expect(no.stderr).toContain('- nothing is deleted: untakedown restores it');
    expect(await repoStatus(pdsA, acct.did)).toMatchObject({ active: true });

    const yes = await atcli(take, { tty: { stdin: true, stderr: true, stdout: true }, answers: [true] });
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stdout).toContain(`✓ ${acct.did}: taken down (ref case-42)`);
    expect(await repoStatus(pdsA, acct.did)).toMatchObject({ active: false, status: 'takendown' });
    expect((await xrpc<{ takedown: unknown }>(pdsA, 'com.atproto.admin.getSubjectStatus', { params: { did: acct.did }, headers: adminHeaders() })).takedown).toEqual({ applied: true, ref: 'case-42' });

    const again = await atcli(take);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`nothing to do: ${acct.did} is taken down (ref case-42)`);

    const undo = json<{ executed: boolean; result: { takedown: { applied: boolean } } }>(await atcli(['pds', 'admin', 'account', 'untakedown', acct.handle, '--pds', pdsA, '--json']));
    expect(undo).toMatchObject({ executed: true, result: { takedown: { applied: false } } });
    expect(await repoStatus(pdsA, acct.did)).toMatchObject({ active: true });
    expect((await createSession(pdsA, acct.handle, acct.password)).did).toBe(acct.did);
    expect((await atcli(['pds', 'admin', 'account', 'untakedown', acct.did, '--pds', pdsA], { tty: { stdout: true } })).stdout).toContain('nothing to do');
  });

  it('delete: --yes, the plan says it cannot be undone; afterwards the PDS has no such repository', async () => {
    const acct = await newAccount(net, 'clidel');
    const r = await atcli(['pds', 'admin', 'account', 'delete', acct.handle, '--pds', pdsA, '--yes', '--json']);
    const out = json<{ plan: { effects: string[]; reversible: boolean }; executed: boolean; result: { repo: unknown } }>(r);
    expect(out).toMatchObject({ executed: true, plan: { reversible: false }, result: { repo: null } });
    expect(out.plan.effects.join(' ')).toContain('cannot be undone');
    expect(await status(repoStatus(pdsA, acct.did))).toBe(400);
    expect(await status(createSession(pdsA, acct.did, acct.password))).toBe(401);
  });

  it('invites: create, list (table and NDJSON, --filter), disable — a code made here lets an account in; a disabled one does not', async () => {
    const made = await atcli(['pds', 'admin', 'invites', 'create', '--count', '2', '--pds', invitePds.url], { tty: { stdout: true } });
    expect(made.code, made.stderr).toBe(0);
    const lines = made.stdout.trim().split('\n');
    expect(lines[0]).toBe('code');
    const [use, kill] = lines.slice(1) as [string, string];
    expect(lines).toHaveLength(3);
    const handle = uniqueHandle('cliinvited');
    const account = await xrpc<{ did: string }>(invitePds.url, 'com.atproto.server.createAccount', { body: { handle, email: `${handle}@mail.test`, password: 'invited-pw-1', inviteCode: use } });

    const used = ndjson<{ code: string; used: number; uses: Array<{ usedBy: string }> }>(await atcli(['pds', 'admin', 'invites', 'list', '--filter', 'used', '--pds', invitePds.url, '--json']));
    expect(used.find((c) => c.code === use)).toMatchObject({ used: 1, uses: [{ usedBy: account.did }] });
    const piped = await atcli(['pds', 'admin', 'invites', 'list', '--filter', 'free', '--pds', invitePds.url]);
    expect(piped.stdout).toMatch(new RegExp(`^${kill}\\t1\\t0\\tenabled\\t`, 'm'));
    expect(piped.stdout).not.toContain(use);

    expect(json(await atcli(['pds', 'admin', 'invites', 'disable', kill, '--pds', invitePds.url, '--dry-run', '--json']))).toMatchObject({ dryRun: true, codes: [kill] });
    expect(json(await atcli(['pds', 'admin', 'invites', 'disable', kill, '--pds', invitePds.url, '--json']))).toEqual({ codes: [kill], accounts: [] });
    const raw = await xrpc<{ codes: Array<{ code: string; disabled: boolean }> }>(invitePds.url, 'com.atproto.admin.getInviteCodes', { params: { limit: 500 }, headers: adminHeaders() });
    expect(raw.codes.find((c) => c.code === kill)?.disabled).toBe(true);
    const h2 = uniqueHandle('clirefused');
    expect(await status(xrpc(invitePds.url, 'com.atproto.server.createAccount', { body: { handle: h2, email: `${h2}@mail.test`, password: 'refused-pw-1', inviteCode: kill } }))).toBe(400);
    const nothing = await atcli(['pds', 'admin', 'invites', 'disable', '--pds', invitePds.url]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('hint: name the invite codes as arguments');
    expect((await atcli(['pds', 'admin', 'invites', 'create', '--count', '0', '--pds', invitePds.url])).code).toBe(2);
  });

  it('blob takedown (asks; --yes), status, untakedown change what getBlob serves', async () => {
    const acct = await newAccount(net, 'cliblob');
    const bytes = new Uint8Array(300).map((_, i) => (i * 7) & 0xff);
    bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const ref = await uploadBlob(acct.pdsUrl, acct.accessJwt, bytes, 'image/png');
    await xrpc(acct.pdsUrl, 'com.atproto.repo.createRecord', { accessJwt: acct.accessJwt, body: { repo: acct.did, collection: 'com.example.blob', record: { $type: 'com.example.blob', file: ref } } });
    const cid = ref.ref.$link;
    const served = async (): Promise<number> => (await fetch(`${acct.pdsUrl}/xrpc/com.atproto.sync.getBlob?did=${acct.did}&cid=${cid}`)).status;

    const before = json<{ did: string; cid: string; takedown: { applied: boolean } | null }>(await atcli(['pds', 'admin', 'blob', 'status', acct.did, cid, '--pds', pdsA, '--json']));
    expect(before).toMatchObject({ did: acct.did, cid });
    expect(before.takedown?.applied ?? false).toBe(false);
    const take = ['pds', 'admin', 'blob', 'takedown', acct.handle, cid, '--pds', pdsA, '--ref', 'blob-case'];
    expect((await atcli(take)).code).toBe(2);
    expect(json(await atcli([...take, '--dry-run', '--json']))).toMatchObject({ executed: false, plan: { action: 'blob-takedown', cid } });
    expect(await served()).toBe(200);
    const done = await atcli([...take, '--yes']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain(`take down blob ${cid}`);
    expect(await served()).not.toBe(200);
    const shown = await atcli(['pds', 'admin', 'blob', 'status', acct.did, cid, '--pds', pdsA], { tty: { stdout: true } });
    expect(shown.stdout).toMatch(/^takedown\s+taken down \(ref blob-case\)$/m);

    expect(json(await atcli(['pds', 'admin', 'blob', 'untakedown', acct.did, cid, '--pds', pdsA, '--json']))).toMatchObject({ executed: true, result: { takedown: { applied: false } } });
    expect(await served()).toBe(200);
    expect((await atcli(['pds', 'admin', 'blob', 'status', acct.did, 'not-a-cid', '--pds', pdsA])).code).toBe(2);
  });

  it('every admin command: an unreachable PDS is exit 1 with one JSON error', async () => {
    const did = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
    const cid = 'bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm';
    const lines = [
      ['account', 'list'],
      ['account', 'info', did],
      ['account', 'create', '--handle', 'x-cli.test', '--email', 'x@mail.test'],
      ['account', 'update-handle', did, 'y-cli.test'],
      ['account', 'update-email', did, 'y@mail.test'],
      ['account', 'reset-password', did],
      ['account', 'takedown', did, '--yes'],
      ['account', 'untakedown', did],
      ['account', 'delete', did, '--yes'],
      ['invites', 'create'],
      ['invites', 'list'],
      ['invites', 'disable', 'some-code'],
      ['blob', 'takedown', did, cid, '--yes'],
      ['blob', 'untakedown', did, cid],
      ['blob', 'status', did, cid],
    ];
    // In parallel: a refused connection is retried with back-off, a few seconds each.
    const results = await Promise.all(lines.map((line) => runIn(['pds', 'admin', ...line, '--pds', DEAD, '--json', ...devFlags(net)], { env: { ATCLI_ADMIN_PASSWORD: net.adminPassword } })));
    results.forEach((r, i) => {
      seen.push(r.stdout, r.stderr);
      expect(r.code, `${lines[i]?.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('{'))).toHaveLength(1);
    });
  });

  it('the admin password appears in no output of this file (stdout, stderr, prompts)', () => {
    const all = seen.join('\n');
    expect(seen.length).toBeGreaterThan(100);
    expect(all).not.toContain(net.adminPassword);
    expect(all).not.toContain(Buffer.from(`admin:${net.adminPassword}`).toString('base64'));
  });
});
