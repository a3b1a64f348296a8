#!/usr/bin/env node
// A test-only entry point: the built atcli (dist/cli/main.js) with observers of a migration's steps
// injected through the client factory, for tests that need a process to die at a given moment.
// The product itself carries no test hooks; this file reads its own variables:
//   HOOK_KILL_AFTER_STEP=<step>  SIGKILL this process right after that step is journalled.
import { run } from '../../dist/cli/main.js';

const killAfter = process.env.HOOK_KILL_AFTER_STEP;
const hooks = {
  afterStep(step) {
    if (step === killAfter) process.kill(process.pid, 'SIGKILL');
  },
};
process.exitCode = await run(process.argv.slice(2), { factory: (base) => ({ ...base, migrationHooks: () => hooks }) });
