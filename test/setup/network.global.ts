// vitest globalSetup: starts the local AT Protocol test network (test/network)
// once per run and provides its info as inject('network'); stops it after.
// ATCLI_TEST_NO_NETWORK=1 skips it (inject('network') is then null, and
// end-to-end tests skip themselves).

import type { TestProject } from 'vitest/node';
import { startNetwork, type NetworkInfo, type TestNetwork } from '../network/client.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The running test network, or null when ATCLI_TEST_NO_NETWORK=1. */
    network: NetworkInfo | null;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env['ATCLI_TEST_NO_NETWORK'] === '1') {
    project.provide('network', null);
    return async () => {};
  }
  let net: TestNetwork;
  try {
    net = await startNetwork();
  } catch (err) {
    throw new Error(
      `could not start the local test network (install it with \`node test/network/install.mjs\`, ` +
        `or set ATCLI_TEST_NO_NETWORK=1 to run without it): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const info: NetworkInfo = {
    control: net.control,
    plcUrl: net.plcUrl,
    pds: net.pds,
    dnsServer: net.dnsServer,
    didWeb: net.didWeb,
    wellKnown: net.wellKnown,
    jwtSecret: net.jwtSecret,
    adminPassword: net.adminPassword,
  };
  project.provide('network', info);
  return async () => {
    await net.stop();
  };
}
