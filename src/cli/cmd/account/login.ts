import { defineCommand } from '../../spec.js';
import { opt, serviceUrl } from '../../flags.js';
import { secretFrom } from '../../inputs.js';

export default defineCommand({
  description: 'Logs in with the account password (or an app password) and stores the session tokens, never the password, in a 0600 file for the profile.',
  options: {
    identifier: opt.value('-u, --identifier <id>', 'handle, DID or e-mail (prompted when missing)', { env: 'ATCLI_IDENTIFIER', valueKind: 'none' }),
    pds: opt.parsed('--pds <url>', 'the PDS (default: resolved from the identifier)', serviceUrl(['http:', 'https:']), { valueKind: 'none' }),
  },
  uses: ['network', 'auth'],
  examples: ['atcli account login -u alice.example.com', 'ATCLI_PASSWORD=… atcli account login -u alice.example.com --no-input', 'atcli --profile work account login -u alice.work.example'],
  notes:
    'The password comes from ATCLI_PASSWORD or a hidden prompt, never from a flag; an e-mailed sign-in code from ATCLI_AUTH_FACTOR_TOKEN. Scripts can skip the login: ATCLI_IDENTIFIER + ATCLI_PASSWORD give a session that is never written to disk.\nExit status: 0 logged in, 5 the login was refused, 2 a value is missing and cannot be asked for.',
  async run({ opts, io, g, out, err, prompt, f }) {
    const identifier = opts.identifier ?? io.env.ATCLI_IDENTIFIER ?? (await prompt.text('Handle, DID or e-mail', '-u/--identifier or ATCLI_IDENTIFIER'));
    const pds = await f.pdsForLogin(identifier, opts.pds);
    const password = await secretFrom(io, prompt, 'ATCLI_PASSWORD', `Password for ${identifier}`);
    const { login } = await import('../../../core/xrpc/index.js');
    const factor = io.env.ATCLI_AUTH_FACTOR_TOKEN;
    const session = await login(pds, identifier, password, { http: await f.http(), ...(factor ? { authFactorToken: factor } : {}) });
    const store = await f.sessionStore();
    await store.write(g.profile, session);
    if (session.appPassword) err.info('note: logged in with an app password; identity updates and account migration need the account password');
    const result = { did: session.did, handle: session.handle, pds: session.pds, profile: g.profile, sessionFile: store.path(g.profile) };
    await out.result(result, (r) => `logged in as ${r.handle} (${r.did}) on ${r.pds}\nsession stored for profile "${r.profile}" in ${r.sessionFile}`);
  },
});
