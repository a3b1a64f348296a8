import { homedir } from 'node:os';
import { join } from 'node:path';
import type { IdentityConfirmation, MigrationCallbacks } from '../../../core/account/migrate.js';
import { isAtcliError, usage } from '../../../core/errors.js';
import type { Prompts } from '../../context.js';
import { defineCommand } from '../../spec.js';
import { handle, integer, opt, serviceUrl } from '../../flags.js';
import type { Globals } from '../../globals.js';
import { withCompleteHint } from '../../hints/index.js';
import type { IO } from '../../io.js';
import { shellWord } from '../../render/text.js';
import { PLC_TOKEN_ENV, checkRecoveryKey, newAccountPassword } from './inputs.js';
import { MigrationProgress, renderMigration } from './migrate-view.js';

const TOKEN_PLACEHOLDER = '<the code from the e-mail>';

/** The state file when none is given: $XDG_STATE_HOME/atcli/migrate-<did>.json (default ~/.local/state). */
export function defaultStatePath(env: IO['env'], fileName: string): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'atcli', fileName);
}

/** The command line that continues this migration. */
function resumeCommand(g: Globals, prompt: Prompts, stateFile: string | undefined, withToken: boolean): string {
  const words = ['atcli', ...(g.profile !== 'default' ? ['--profile', g.profile] : []), 'account', 'migrate', '--resume'];
  if (withToken) words.push('--plc-token', TOKEN_PLACEHOLDER);
  if (stateFile !== undefined) words.push('--state-file', stateFile);
  if (!g.yes && !prompt.canPrompt) words.push('--yes');
  return words.map((w) => (w === TOKEN_PLACEHOLDER ? w : shellWord(w))).join(' ');
}

/** The severe confirmation of the identity step: type the DID (or the handle), or --yes. */
async function confirmIdentity(g: Globals, prompt: Prompts, info: IdentityConfirmation): Promise<boolean> {
  if (g.yes) return true;
  const host = new URL(info.newPds).host;
  if (!prompt.canPrompt) {
    throw usage('ConfirmationRequired', `moving the identity of ${info.did} to ${host} needs confirmation, and atcli cannot ask (not a terminal)`, {
      hint: '--yes is required when not running interactively',
    });
  }
  const typed = await prompt.text(`This moves ${info.did} to ${host}. Type the DID (or the handle ${info.handle}) to confirm`, '--yes');
  return typed === info.did || typed.replace(/^@/, '').toLowerCase() === info.handle.toLowerCase();
}

export default defineCommand({
  description:
    'Moves the logged-in account (its account password session, not an app password) to another PDS, as a plan of named steps journalled in a 0600 state file (written atomically; no password or token is stored in it):\n' +
    'preflight → service-auth → create-account (deactivated) → export-repo → verify-repo (against the current key) → import-repo → blobs (MIME types kept; failures retried) → preferences → verify-copy (every record and blob on the new host) → request-plc-token (only now) → build-plc-op (the new host\'s recommended credentials; your own rotation keys and services kept) → sign-plc-op (diff shown; type the DID or pass --yes) → check-plc-op → submit-plc-op → verify-identity → activate → verify-new → deactivate-old (never before the new account is verified active) → report.',
  options: {
    to: opt.parsed('--to <pds-url>', 'the new host (required unless --resume)', serviceUrl(['http:', 'https:']), { valueKind: 'none' }),
    newHandle: opt.parsed('--new-handle <handle>', 'handle on the new host (default: the current one, if the new host can serve it)', (t, flag) => handle(t.replace(/^@/, ''), flag), { valueKind: 'none' }),
    newEmail: opt.value('--new-email <address>', 'e-mail of the new account (default: the current one)', { valueKind: 'none' }),
    inviteCode: opt.value('--invite-code <code>', 'invite code for the new host', { valueKind: 'none' }),
    plcToken: opt.value('--plc-token <code>', 'the PLC confirmation code from the e-mail; asked for at the identity step otherwise', { env: PLC_TOKEN_ENV, valueKind: 'none' }),
    recoveryKey: opt.value('--recovery-key <did:key>', 'a rotation key you hold, added at the highest priority', { valueKind: 'none' }),
    resume: opt.flag('--resume', 'continue the migration recorded in the state file'),
    stateFile: opt.value('--state-file <path>', 'the state file (default $XDG_STATE_HOME/atcli/migrate-<did>.json)', { valueKind: 'file' }),
    concurrency: opt.withDefault('--concurrency <n>', 'blobs copied at once', 4, integer({ min: 1, max: 16 }), { valueKind: 'none' }),
  },
  uses: ['network', 'auth', 'dryRun', 'yes'],
  examples: [
    'atcli account migrate --to https://new-pds.example.com --dry-run',
    'atcli account migrate --to https://new-pds.example.com --recovery-key did:key:zQ3sh…',
    'ATCLI_NEW_PASSWORD=… atcli account migrate --to https://new-pds.example.com --yes',
    'atcli account migrate --resume --plc-token ABCDE-12345 --yes',
  ],
  notes:
    "The new account's password comes from ATCLI_NEW_PASSWORD or a hidden prompt. An interrupted or failed run continues with --resume; each step checks the real state first, so nothing is done twice. Until the identity step a failure leaves the old account active and fully usable. The verified CAR, the preferences and the PLC audit log are kept next to the state file (<state file>.backup/). When the migration completes, a stored login (profile) is switched to the new host. --dry-run runs only the preflight checks and prints the plan: nothing changes on either host.\n" +
    'Exit status: 0 migrated (or a dry run whose checks pass), 1 a step failed or a dry run found a problem, 2 stopped for the e-mailed PLC token without a terminal (JSON status "waiting-for-plc-token"; continue with --resume --plc-token), 5 not logged in or an app-password session, 130 interrupted.',
  async run({ opts, io, g, out, err, prompt, f, signal }) {
    if (!opts.resume && opts.to === undefined) throw usage('MissingTarget', 'where to? give the new host with --to <pds-url>', { hint: 'or continue a migration with --resume' });
    await checkRecoveryKey(opts.recoveryKey);
    const [{ migrateAccount }, { journalFileName }, { XrpcClient }] = await Promise.all([
      import('../../../core/account/migrate.js'),
      import('../../../core/account/journal.js'),
      import('../../../core/xrpc/index.js'),
    ]);
    const hooks = f.migrationHooks();
    const http = await f.http();
    const opened = await f.session();
    const oldAuth = hooks?.wrapAuth?.(opened.auth, 'old') ?? opened.auth;
    const oldClient = oldAuth === opened.auth ? opened.client : new XrpcClient({ service: opened.client.service, http, auth: oldAuth });
    const stateFile = opts.stateFile ?? defaultStatePath(io.env, journalFileName(opened.session.did));
    if (!g.dryRun) err.info(`state file: ${stateFile}`);
    const plcToken = opts.plcToken ?? io.env[PLC_TOKEN_ENV];
    const resume = (withToken: boolean): string => resumeCommand(g, prompt, opts.stateFile, withToken);
    let password: Promise<string> | undefined;
    const progress = new MigrationProgress(err);
    const callbacks: MigrationCallbacks = {
      newPassword: () => (password ??= newAccountPassword(io, prompt, `the new account on ${opts.to !== undefined ? new URL(opts.to).host : 'the new host'}`, false)),
      plcToken: async ({ oldPds }) =>
        prompt.canPrompt ? prompt.text(`Confirmation code from the e-mail ${new URL(oldPds).host} sent to the account's address`, `--plc-token or ${PLC_TOKEN_ENV}`) : undefined,
      confirmIdentity: (info) => confirmIdentity(g, prompt, info),
      event: (e) => progress.event(e),
      ...(hooks !== undefined ? { hooks } : {}),
    };
    let outcome;
    try {
      outcome = await migrateAccount({
        http,
        identity: await f.identity(),
        dev: g.dev,
        journalPath: stateFile,
        oldClient,
        oldAuth,
        ...(opts.to !== undefined ? { to: opts.to } : {}),
        ...(opts.newHandle !== undefined ? { newHandle: opts.newHandle } : {}),
        ...(opts.newEmail !== undefined ? { newEmail: opts.newEmail } : {}),
        ...(opts.inviteCode !== undefined ? { inviteCode: opts.inviteCode } : {}),
        ...(opts.recoveryKey !== undefined ? { recoveryKey: opts.recoveryKey } : {}),
        ...(plcToken !== undefined && plcToken !== '' ? { plcToken } : {}),
        dryRun: g.dryRun,
        resume: opts.resume,
        blobConcurrency: opts.concurrency,
        signal,
        callbacks,
      });
    } catch (e) {
      progress.close();
      throw stoppedMigration(e, resume, (line) => err.warn(line));
    }
    progress.close();
    const { result, newSession } = outcome;
    if (result.status === 'completed' && newSession !== undefined && opened.source === 'profile') {
      const store = await f.sessionStore();
      if ((await store.read(g.profile))?.did === result.did) {
        await store.write(g.profile, { ...newSession, pds: result.newPds });
        err.info(`profile "${g.profile}" is now logged in to ${result.newPds}`);
      }
    }
    if (result.status === 'waiting-for-plc-token') {
      const next = resume(true);
      await out.result({ ...result, next }, (r) => renderMigration(out, r));
      throw usage('InputRequired', `the PLC confirmation code that ${new URL(result.oldPds).host} e-mailed to the account's address is needed to continue, and atcli cannot ask for it (not a terminal); the state is saved`, {
        hint: `the code is valid for about 15 minutes; continue with: ${next}`,
        details: { status: result.status, stateFile: result.stateFile },
      });
    }
    await out.result(result, (r) => renderMigration(out, r));
    if (result.status === 'dry-run') {
      const id = result.identity;
      if (id?.recoveryKey === undefined && id?.keepRotationKeys?.length === 0) err.hint('add a rotation key you hold with --recovery-key <did:key> (make one with: atcli key generate)');
      if (result.ok === false) return 1;
    }
  },
});

/** A stopped migration's error, with the command that continues it in the hint. */
function stoppedMigration(e: unknown, resume: (withToken: boolean) => string, warn: (line: string) => void): unknown {
  if (!isAtcliError(e) || typeof e.details?.stateFile !== 'string') return e;
  const step = e.details.step;
  const again = resume(step === 'sign-plc-op');
  if (e.kind === 'interrupted') {
    // Exit 130 prints no error: say where it stopped and how to go on.
    warn(`${e.message}; resume: ${again}`);
    if (e.hint) warn(e.hint);
    return e;
  }
  if (e.code === 'AlreadyMigrated') return withCompleteHint(e, `see the report with "${again}"; move the state file away to migrate again`);
  if (e.code === 'MigrationInProgress') return withCompleteHint(e, `continue it with "${again}", or move the state file away to start over`);
  if (typeof step !== 'string') return e;
  return withCompleteHint(e, `${e.hint ?? ''}${e.hint ? '. ' : ''}Resume with: ${again}`);
}
