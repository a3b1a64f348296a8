// The changes that cut an account or a blob off, or restore it: takedown, untakedown, delete, and
// the same for one blob. Each is planned first (the state now and what will happen), shown, and
// confirmed when it takes something away; --dry-run stops at the plan, --yes skips the question.
import type { AdminAction, AdminActionResult, AdminPlan } from '../../../../core/pds/admin.js';
import type { CommandContext } from '../../../context.js';
import { opt } from '../../../flags.js';
import { defineCommand } from '../../../spec.js';
import { ADMIN_NOTE, cidArg, idArg, openAdmin, pdsOption } from './connect.js';

const refOption = opt.value('--ref <text>', 'a reference stored with the takedown, e.g. a case number (default atcli-<unix time>)');

/** Actions asked about before they are carried out. */
const CONFIRMED: ReadonlySet<AdminAction> = new Set(['takedown', 'delete', 'blob-takedown']);

const EXIT_NOTE = 'Exit status: 0 done, or nothing to do; 1 the PDS does not report the change afterwards; 2 cancelled or no confirmation possible without a terminal (pass --yes); 4 no such account.';

type Ctx = Pick<CommandContext<unknown, { pds: string }>, 'opts' | 'g' | 'io' | 'out' | 'err' | 'prompt' | 'f'>;

function planLines(ctx: Ctx, plan: AdminPlan): string {
  const c = ctx.out.c;
  return [
    c.bold(plan.summary),
    ...plan.effects.map((e) => `  - ${e}`),
    ...(plan.ref !== undefined ? [`  takedown reference: ${plan.ref}`] : []),
  ].join('\n');
}

function stateText(t: AdminActionResult['takedown']): string {
  if (t === null) return 'no takedown recorded';
  return t.applied ? `taken down${t.ref !== undefined ? ` (ref ${t.ref})` : ''}` : 'not taken down';
}

/** Whether the PDS, read back, reports what the action was meant to do. */
function tookEffect(plan: AdminPlan, r: AdminActionResult): boolean {
  if (plan.action === 'delete') return r.repo === null;
  const applied = r.takedown?.applied === true;
  return plan.action === 'takedown' || plan.action === 'blob-takedown' ? applied : !applied;
}

async function carryOut(ctx: Ctx, action: AdminAction, id: string, extra: { cid?: string; ref?: string }): Promise<number> {
  const { g, out, err, prompt } = ctx;
  const { executeAdminAction, planAdminAction } = await import('../../../../core/pds/admin.js');
  const admin = await openAdmin(ctx, ctx.opts.pds);
  const plan = await planAdminAction(admin, action, id, extra);
  const subject = plan.cid !== undefined ? `blob ${plan.cid} of ${plan.did}` : plan.did;
  if (plan.noop) {
    await out.result({ plan, executed: false, result: null }, () => `nothing to do: ${subject} is ${stateText(plan.takedownBefore)} on ${new URL(plan.pds).host}`);
    return 0;
  }
  if (g.dryRun) {
    await out.result({ plan, executed: false, result: null }, () => planLines(ctx, plan));
    err.info('dry run: nothing was changed');
    return 0;
  }
  if (!out.json) {
    const lines = planLines(ctx, plan);
    if (g.yes || !CONFIRMED.has(action)) err.info(lines);
    else err.line(lines);
  }
  if (CONFIRMED.has(action)) await prompt.require(`${plan.summary[0]?.toUpperCase()}${plan.summary.slice(1)}?`, 'cancelled: nothing was changed');
  const result = await executeAdminAction(admin, plan);
  const ok = tookEffect(plan, result);
  await out.result({ plan, executed: true, result }, () =>
    ok
      ? `${out.mark('ok')} ${plan.action === 'delete' ? `deleted ${plan.did} from ${new URL(plan.pds).host}` : `${subject}: ${stateText(result.takedown)}`}`
      : `${out.mark('fail')} ${subject}: the PDS still reports it ${plan.action === 'delete' ? 'hosted' : stateText(result.takedown)}`,
  );
  return ok ? 0 : 1;
}

export const accountTakedown = defineCommand({
  description: 'Takes the account down on this PDS (com.atproto.admin.updateSubjectStatus): it can no longer log in or write, its repository and blobs are no longer served, and relays and AppViews hide it. Nothing is deleted; untakedown restores it. Shows the plan and asks first.',
  args: { id: idArg },
  options: { pds: pdsOption, ref: refOption },
  uses: ['network', 'dryRun', 'yes'],
  examples: ['atcli pds admin account takedown spam.example.com --pds https://pds.example.com --ref case-123', 'atcli pds admin account takedown did:plc:… --pds https://pds.example.com --dry-run'],
  notes: `JSON: plan (action, did, handle, takedownBefore, ref, summary, effects, reversible, noop), executed, result (takedown). ${EXIT_NOTE} ${ADMIN_NOTE}`,
  run: (ctx) => carryOut(ctx, 'takedown', ctx.args.id, ctx.opts.ref !== undefined ? { ref: ctx.opts.ref } : {}),
});

export const accountUntakedown = defineCommand({
  description: 'Lifts the takedown of the account: it can log in and write again, and the PDS serves it again. Nothing to do (exit 0) when it is not taken down.',
  args: { id: idArg },
  options: { pds: pdsOption },
  uses: ['network', 'dryRun', 'yes'],
  examples: ['atcli pds admin account untakedown spam.example.com --pds https://pds.example.com'],
  notes: `JSON: plan, executed, result (takedown). ${EXIT_NOTE} ${ADMIN_NOTE}`,
  run: (ctx) => carryOut(ctx, 'untakedown', ctx.args.id, {}),
});

export const accountDelete = defineCommand({
  description: 'Deletes the account from this PDS (com.atproto.admin.deleteAccount): repository, blobs, preferences, sessions and app passwords are erased. The DID is not tombstoned: its document still names this PDS. Cannot be undone; shows the plan and asks first.',
  args: { id: idArg },
  options: { pds: pdsOption },
  uses: ['network', 'dryRun', 'yes'],
  examples: ['atcli pds admin account delete did:plc:… --pds https://pds.example.com', 'atcli pds admin account delete old.example.com --pds https://pds.example.com --yes --json'],
  notes: `JSON: plan, executed, result (repo: null once the PDS no longer hosts it). ${EXIT_NOTE} ${ADMIN_NOTE}`,
  run: (ctx) => carryOut(ctx, 'delete', ctx.args.id, {}),
});

export const blobTakedown = defineCommand({
  description: 'Takes one blob of the account down: the PDS stops serving it (com.atproto.sync.getBlob); the records that reference it are unchanged. Shows the plan and asks first.',
  args: { id: idArg, cid: cidArg },
  options: { pds: pdsOption, ref: refOption },
  uses: ['network', 'dryRun', 'yes'],
  examples: ['atcli pds admin blob takedown alice.example.com bafkrei… --pds https://pds.example.com --ref case-7'],
  notes: `JSON: plan (action, did, cid, takedownBefore, ref, …), executed, result (takedown). ${EXIT_NOTE} ${ADMIN_NOTE}`,
  run: (ctx) => carryOut(ctx, 'blob-takedown', ctx.args.id, { cid: ctx.args.cid, ...(ctx.opts.ref !== undefined ? { ref: ctx.opts.ref } : {}) }),
});

export const blobUntakedown = defineCommand({
  description: 'Lifts the takedown of one blob: the PDS serves it again. Nothing to do (exit 0) when it is not taken down.',
  args: { id: idArg, cid: cidArg },
  options: { pds: pdsOption },
  uses: ['network', 'dryRun', 'yes'],
  examples: ['atcli pds admin blob untakedown alice.example.com bafkrei… --pds https://pds.example.com'],
  notes: `JSON: plan, executed, result (takedown). ${EXIT_NOTE} ${ADMIN_NOTE}`,
  run: (ctx) => carryOut(ctx, 'blob-untakedown', ctx.args.id, { cid: ctx.args.cid }),
});
