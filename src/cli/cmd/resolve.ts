import { defineCommand } from '../spec.js';
import { opt, arg } from '../flags.js';

export default defineCommand({
  description: 'Resolves the handle (DNS TXT, HTTPS well-known, then the XRPC resolver) and the DID document (PLC directory or did:web), and checks that the document names the handle back.',
  args: { id: arg.required('id', 'handle, DID, or at:// URI of an account') },
  options: {
    didOnly: opt.flag('--did', 'print only the DID'),
    cache: opt.negatable('--no-cache', 'bypass the identity cache'),
  },
  uses: ['network'],
  examples: ['atcli resolve alice.example.com', 'atcli resolve did:plc:ewvi7nxzyoun6zhxrhs64oiz --json', 'atcli resolve alice.example.com --did'],
  notes: 'Exit status: 0 resolved (a handle that is not verified both ways is reported, with a warning), 4 not found, 3 conflicting records.',
  async run({ args, opts, out, err, f }) {
    const identity = await f.resolveAccount(args.id, { noCache: !opts.cache });
    for (const warning of identity.warnings) err.warn(warning);
    if (opts.didOnly) return out.result({ did: identity.did }, (r) => r.did);
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
    const c = out.c;
    await out.result(result, (r) =>
      out.fields([
        ['did', r.did],
        ['handle', r.handleVerified ? `${r.handle} ${c.green('✓ verified both ways')}` : `${r.claimedHandle ?? r.handle} ${c.red('✗ not verified')}`],
        ['pds', r.pds ?? c.red('none')],
        ['signing key', r.signingKey ?? c.red('none')],
        ['resolved by', r.method],
      ]),
    );
  },
});
