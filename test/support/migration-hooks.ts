// Fault injection for in-process migration tests, given to the command through the client
// factory: a server failure before a step, and access tokens that expire at every step boundary.
import type { MigrationHooks } from '../../src/core/account/migrate.js';
import type { MigrationStep } from '../../src/core/account/plan.js';
import { XrpcError } from '../../src/core/xrpc/index.js';
import type { Factory } from '../../src/cli/factory.js';
import { expiredAccessToken } from '../e2e/helpers.js';

/** The factory option of runIn / run that installs `hooks`. */
export function withHooks(hooks: MigrationHooks): (base: Factory) => Factory {
  return (base) => ({ ...base, migrationHooks: () => hooks });
}

/** An HTTP 500 from the server, as the step before `step` would meet it. */
export function failBefore(step: MigrationStep): MigrationHooks {
  return {
    beforeStep(current) {
      if (current === step) {
        throw new XrpcError({ status: 500, xrpcError: 'InternalServerError', nsid: 'test.injected', message: `test.injected: simulated server failure before ${step} (HTTP 500)` });
      }
    },
  };
}

/** After every step, the next request of each host's session uses an expired access token. */
export function expiringTokens(secret: string): MigrationHooks {
  const expireNext = new Set<'old' | 'new'>();
  return {
    afterStep() {
      expireNext.add('old');
      expireNext.add('new');
    },
    wrapAuth(auth, side) {
      return new Proxy(auth, {
        get(target, prop) {
          if (prop === 'session') {
            return async () => {
              const s = await target.session();
              if (!expireNext.delete(side)) return s;
              return { ...s, accessJwt: expiredAccessToken(s.accessJwt, secret) };
            };
          }
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    },
  };
}
