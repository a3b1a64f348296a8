// Raw XRPC parity through the core pieces `atcli xrpc` uses: service proxying through the PDS
// (`atproto-proxy`, given as a service reference or as a header line), a did#service target
// resolved from the DID document, and admin Basic auth — against the real PDS and AppView.
import { beforeAll, describe, expect, it } from 'vitest';
import { createRecord, type TestNetwork } from '../network/client.js';
import { coreConfig, network, networkInfo, newAccount, sessionClient, type TestAccount } from './helpers.js';
import { XrpcClient, adminAuthorization, parseHeaderLines, proxyHeader } from '../../src/core/xrpc/index.js';
import { resolveServiceEndpoint } from '../../src/core/identity/index.js';
import type { HttpConfig } from '../../src/core/net/http.js';
import type { IdentityConfig } from '../../src/core/identity/index.js';

const withAppView = process.env['ATCLI_TEST_NO_APPVIEW'] !== '1';

describe.skipIf(!networkInfo)('xrpc parity (core, real PDS and AppView)', () => {
  let net: TestNetwork;
  let http: HttpConfig;
  let identity: IdentityConfig;
  let acct: TestAccount;

  beforeAll(async () => {
    net = await network();
    ({ http, identity } = coreConfig(net));
    acct = await newAccount(net, 'xrpcpar', 'a');
    await createRecord(acct.pdsUrl, acct.accessJwt, acct.did, 'app.bsky.actor.profile', { $type: 'app.bsky.actor.profile', displayName: 'proxied' }, 'self');
  }, 180_000);

  it('admin auth: the admin endpoints answer with it and refuse without it', async () => {
    const admin = new XrpcClient({ service: net.pds.a.url, http, headers: adminAuthorization(net.adminPassword) });
    expect(await admin.query('com.atproto.admin.getAccountInfo', { did: acct.did })).toMatchObject({ did: acct.did, handle: acct.handle });
    const anonymous = new XrpcClient({ service: net.pds.a.url, http });
    await expect(anonymous.query('com.atproto.admin.getAccountInfo', { did: acct.did })).rejects.toMatchObject({ status: 401 });
  });

  it.skipIf(!withAppView)('atproto-proxy through the PDS, and a did#service target resolved from the DID document, reach the AppView', async () => {
    const appview = await net.startAppView();
    const ref = `${appview.did}#bsky_appview`;
    // The did#service target: the AppView's own DID document names its endpoint.
    const service = await resolveServiceEndpoint(identity, ref);
    expect(service).toMatchObject({ did: appview.did, id: '#bsky_appview', type: 'BskyAppView', endpoint: appview.url });
    const direct = new XrpcClient({ service: service.endpoint, http });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const p = await direct.query<{ displayName?: string }>('app.bsky.actor.getProfile', { actor: acct.did }).catch(() => undefined);
      if (p?.displayName === 'proxied') break;
      if (Date.now() > deadline) throw new Error('the AppView did not index the profile');
      await new Promise((r) => setTimeout(r, 250));
    }

    // Through the account's PDS, which forwards to the service the header names.
    const viaPds = await sessionClient(http, acct.pdsUrl, acct.did, acct.password);
    const proxied = new XrpcClient({ service: viaPds.service, http, auth: viaPds.auth!, headers: proxyHeader(ref) });
    expect(await proxied.query('app.bsky.actor.getProfile', { actor: acct.did })).toMatchObject({ did: acct.did, handle: acct.handle, displayName: 'proxied' });
    const byHeaderLine = new XrpcClient({ service: viaPds.service, http, auth: viaPds.auth!, headers: parseHeaderLines([`Atproto-Proxy: ${ref}`, 'X-Atcli-Test: 1']) });
    expect(await byHeaderLine.query('app.bsky.actor.getProfile', { actor: acct.handle })).toMatchObject({ did: acct.did });
    // Without the header the PDS has no AppView to ask (this network's PDS is configured without one).
    await expect(viaPds.query('app.bsky.actor.getProfile', { actor: acct.did })).rejects.toBeDefined();
  });
});
