import { defineCommand } from '../../spec.js';
import { account, arg } from '../../flags.js';

export default defineCommand({
  description:
    "Without an argument: com.atproto.server.checkAccountStatus of the logged-in account (activated, whether the DID document points at this host, repository revision, indexed records, imported and expected blobs). With one: com.atproto.sync.getRepoStatus of that account on its PDS (active, deactivated, takendown…).",
  args: { id: arg.optionalParsed('id', 'handle or DID of another account', account) },
  uses: ['network', 'auth'],
  examples: ['atcli account status', 'atcli account status --json', 'atcli account status alice.example.com'],
  notes: 'Exit status: 0, 4 the account or its repository is unknown, 5 not logged in (without an argument).',
  async run({ args, g, out, err, f }) {
    const admin = await import('../../../core/account/admin.js');
    if (args.id === undefined) {
      const [{ client, session, source }, { getSession }] = await Promise.all([f.session(), import('../../../core/xrpc/index.js')]);
      const [info, st] = await Promise.all([getSession(client), admin.checkAccountStatus(client)]);
      const result = {
        did: info.did,
        handle: info.handle,
        pds: client.service,
        active: st.activated,
        status: info.status ?? (st.activated ? 'active' : 'deactivated'),
        validDid: st.validDid,
        repoCommit: st.repoCommit,
        repoRev: st.repoRev,
        repoBlocks: st.repoBlocks,
        indexedRecords: st.indexedRecords,
        privateStateValues: st.privateStateValues,
        expectedBlobs: st.expectedBlobs,
        importedBlobs: st.importedBlobs,
        session: source === 'profile' ? (await f.sessionStore()).path(g.profile) : 'ATCLI_IDENTIFIER / ATCLI_PASSWORD (not stored)',
        appPassword: admin.isAppPasswordSession(session),
      };
      return out.result(result, (r) =>
        out.fields([
          ['handle', r.handle],
          ['did', r.did],
          ['pds', r.pds],
          ['status', r.active ? 'active' : r.status],
          ['DID document', r.validDid ? 'points here' : 'does NOT point here'],
          ['repo', `rev ${r.repoRev}, ${r.repoBlocks} blocks`],
          ['records', r.indexedRecords],
          ['blobs', `${r.importedBlobs} of ${r.expectedBlobs} referenced`],
          ['session', `${r.session}${r.appPassword ? ' (app password)' : ''}`],
        ]),
      );
    }
    const identity = await f.resolveAccount(args.id);
    for (const w of identity.warnings) err.debug(w);
    const { notFound } = await import('../../../core/errors.js');
    if (!identity.pds) throw notFound('NoPds', `${identity.did} has no PDS in its DID document`);
    const st = await admin.getRepoStatus(await f.xrpc(identity.pds), identity.did);
    const result = { did: identity.did, handle: identity.handle, pds: identity.pds, active: st.active, status: st.status ?? (st.active ? 'active' : 'inactive'), rev: st.rev ?? null };
    await out.result(result, (r) =>
      out.fields([
        ['handle', r.handle],
        ['did', r.did],
        ['pds', r.pds],
        ['status', r.status],
        ['rev', r.rev],
      ]),
    );
  },
});
