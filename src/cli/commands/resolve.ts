import type { CommandRun } from '../program.js';
import { fields, printResult, stdoutChalk, writeStdout } from '../output.js';
import { resolveIdentity } from '../../core/identity/index.js';

export async function resolveCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const identity = await resolveIdentity(await ctx.identityConfig(), args[0] as string, { noCache: opts.cache === false });
  for (const warning of identity.warnings) ctx.warn(warning);
  if (opts.did === true) {
    await (ctx.json ? printResult(ctx, { did: identity.did }, () => undefined) : writeStdout(`${identity.did}\n`));
    return;
  }
  const result = {
    did: identity.did,
    handle: identity.handle,
    handleVerified: identity.handleVerified,
    claimedHandle: identity.claimedHandle,
    pds: identity.pds,
    signingKey: identity.signingKey,
    method: identity.method,
    didDoc: identity.didDoc,
  };
  const c = stdoutChalk(ctx);
  await printResult(ctx, result, (r) =>
    fields(ctx, [
      ['did', r.did],
      ['handle', r.handleVerified ? `${r.handle} ${c.green('✓ verified both ways')}` : `${r.claimedHandle ?? r.handle} ${c.red('✗ not verified')}`],
      ['pds', r.pds ?? c.red('none')],
      ['signing key', r.signingKey ?? c.red('none')],
      ['resolved by', r.method],
    ]),
  );
}
