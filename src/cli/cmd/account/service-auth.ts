import { usage } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { integer, opt } from '../../flags.js';
import { loadPrivateKey } from '../../inputs.js';

const SIGNING_KEY_ENV = 'ATCLI_SIGNING_KEY';

export default defineCommand({
  description:
    "From the PDS: com.atproto.server.getServiceAuth for the logged-in account (app-password sessions cannot get tokens for privileged methods such as createAccount). Offline: an ES256K (k256) or ES256 (p256) JWT signed locally, which the audience accepts only when the key is the #atproto key of --iss's DID document.",
  options: {
    aud: opt.required('--aud <did>', 'the service the token is for (its DID, or DID#service)', { valueKind: 'none' }),
    lxm: opt.value('--lxm <nsid>', 'restrict it to one method (needed for lifetimes over 60 s)', { valueKind: 'none' }),
    exp: opt.parsed('--exp <seconds>', 'lifetime in seconds (default 60, at most 3600)', integer({ min: 1, max: 3600 }), { valueKind: 'none' }),
    keyFile: opt.value('--key-file <path>', 'sign offline with this private atproto signing key (multikey, hex with --key-type, or "atcli key generate --json" output)', { env: SIGNING_KEY_ENV, valueKind: 'file' }),
    keyType: opt.choice('--key-type <type>', 'curve of a hex private key', ['k256', 'p256']),
    iss: opt.value('--iss <did>', 'offline: the account the token speaks for (default: the logged-in DID)', { valueKind: 'none' }),
  },
  uses: ['network', 'auth'],
  examples: [
    'atcli account service-auth --aud did:web:pds.example.com --lxm com.atproto.server.createAccount',
    'atcli account service-auth --aud did:web:api.bsky.chat --lxm chat.bsky.convo.listConvos --exp 300 --json',
    'atcli account service-auth --aud did:web:pds.example.com --lxm com.atproto.server.createAccount --key-file signing.key --iss did:plc:…',
  ],
  notes: 'Prints the token (with --json: token, iss, aud, lxm, exp, expiresAt, offline). Treat it as a password until it expires.\nExit status: 0, 2 bad input, 5 not logged in or refused.',
  async run({ opts, io, g, out, err, prompt, f }) {
    const { requestServiceAuth, signServiceAuth } = await import('../../../core/account/service-auth.js');
    const request = { aud: opts.aud, ...(opts.lxm !== undefined ? { lxm: opts.lxm } : {}), ...(opts.exp !== undefined ? { expSeconds: opts.exp } : {}) };
    const key = await loadPrivateKey(io, prompt, { file: opts.keyFile, envName: SIGNING_KEY_ENV, ...(opts.keyType !== undefined ? { keyType: opts.keyType } : {}) });
    let token;
    if (key !== undefined) {
      const iss = opts.iss ?? (await (await f.sessionStore()).read(g.profile).catch(() => null))?.did ?? io.env.ATCLI_IDENTIFIER;
      if (iss === undefined || !iss.startsWith('did:')) throw usage('IssuerRequired', 'signing offline needs the account: --iss <did>', { hint: 'or log in first, and the logged-in DID is used' });
      token = signServiceAuth(key, { ...request, iss });
      err.info(`signed offline with the ${key.type} key ${key.publicKey.did()}; it is accepted only if ${iss}'s DID document lists that key as #atproto`);
    } else {
      if (opts.iss !== undefined) throw usage('IssuerWithoutKey', '--iss is only for tokens signed offline (with --key-file)', { hint: 'the PDS issues tokens for the logged-in account only' });
      token = await requestServiceAuth((await f.session()).client, request);
    }
    const result = { token: token.token, iss: token.iss, aud: token.aud, lxm: token.lxm ?? null, exp: token.exp, expiresAt: new Date(token.exp * 1000).toISOString(), offline: key !== undefined };
    await out.result(result, (r) => r.token);
  },
});
