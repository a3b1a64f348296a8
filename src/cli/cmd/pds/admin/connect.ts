// What every `pds admin` command shares: the --pds option, the admin password (from
// ATCLI_ADMIN_PASSWORD or a hidden prompt, never the command line), the admin client, and the
// note on dry runs of the commands that change something.
import type { PdsAdmin } from '../../../../core/pds/admin.js';
import type { Prompts } from '../../../context.js';
import type { Factory } from '../../../factory.js';
import { usage } from '../../../../core/errors.js';
import { checkCidString } from '../../../../core/syntax/cid.js';
import { arg, opt, type Parser } from '../../../flags.js';
import type { IO } from '../../../io.js';
import type { Output } from '../../../render/output.js';
import type { StderrWriter } from '../../../render/stderr.js';

export const ADMIN_PASSWORD_ENV = 'ATCLI_ADMIN_PASSWORD';
/** A new account password chosen by the operator; without it one is generated and shown once. */
export const NEW_PASSWORD_ENV = 'ATCLI_NEW_PASSWORD';

export const pdsOption = opt.required('--pds <url>', 'the PDS to administer: https://host (http:// on loopback with --dev)');

export const idArg = arg.required('id', 'the account: DID or handle (the PDS resolves its own handles)');

const cidText: Parser<string> = (text, name) => {
  const reason = checkCidString(text);
  if (reason !== null) throw usage('InvalidCid', `${name}: "${text.slice(0, 120)}" is not a CID: ${reason}`);
  return text;
};

export const cidArg = arg.requiredParsed('cid', 'the blob CID (bafkrei…)', cidText);

/** Closing help text of every admin command, after its exit status. */
export const ADMIN_NOTE = `The admin password (the PDS's PDS_ADMIN_PASSWORD) comes from ${ADMIN_PASSWORD_ENV} or a hidden prompt, never from the command line; exit 5 when the PDS refuses it.`;

interface AdminContext {
  io: IO;
  prompt: Prompts;
  f: Factory;
}

/** The admin client for `pds`: the URL is checked before the password is asked for. */
export async function openAdmin(ctx: AdminContext, pds: string): Promise<PdsAdmin> {
  const [{ pdsAdmin }, { serviceOrigin }, { secretFrom }] = await Promise.all([
    import('../../../../core/pds/admin.js'),
    import('../../../../core/net/service-url.js'),
    import('../../../inputs.js'),
  ]);
  const url = serviceOrigin(pds);
  const password = await secretFrom(ctx.io, ctx.prompt, ADMIN_PASSWORD_ENV, `Admin password of ${new URL(url).host}`);
  return pdsAdmin(await ctx.f.http(), url, password);
}

/** --dry-run of a change that needs no plan: what would be done, as the result; nothing is sent. */
export async function dryRunResult<T extends object>(ctx: { out: Output; err: StderrWriter }, would: T, text: string): Promise<number> {
  await ctx.out.result({ dryRun: true, ...would }, () => `would ${text}`);
  ctx.err.info('dry run: nothing was changed');
  return 0;
}
