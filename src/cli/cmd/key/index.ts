import { child, defineGroup } from '../../spec.js';

export default defineGroup({
  examples: ['atcli key generate --type p256', 'atcli key inspect did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme'],
  commands: {
    generate: child('generate a new key pair (the private key goes to stdout, or to a 0600 file)', () => import('./generate.js')),
    inspect: child('parse a public key (did:key, multikey, legacy forms) or a private key from a file or stdin', () => import('./inspect.js')),
  },
});
