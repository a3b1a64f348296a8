// Account resolution for the groups still on the old layer (the `<car|id>` arguments of the
// converted groups are read by ../repo-source.ts).
import type { Context } from './context.js';
import { resolveIdentity, type AtprotoIdentity } from '../../core/identity/index.js';

export async function resolveAccount(ctx: Context, id: string, opts: { noCache?: boolean } = {}): Promise<AtprotoIdentity> {
  return resolveIdentity(await ctx.identityConfig(), id, opts);
}
