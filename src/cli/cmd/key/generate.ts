import { defineCommand } from '../../spec.js';
import { opt } from '../../flags.js';

export default defineCommand({
  options: { type: opt.choiceWithDefault('-t, --type <type>', 'key type', ['k256', 'p256'], 'k256') },
  examples: ['atcli key generate', 'atcli key generate --type p256 --json > key.json'],
  notes: 'The private key is printed once and not stored by atcli. "atcli key inspect --key-file" reads what this writes (JSON or text).',
  async run({ opts, out, err }) {
    const { generatePrivateKey } = await import('../../../core/crypto/index.js');
    const key = generatePrivateKey(opts.type);
    const result = { type: key.type, privateKey: key.multikey(), publicKey: key.publicKey.did() };
    if (out.tty) err.warn('the private key is printed once and not stored by atcli: save it somewhere safe now');
    await out.result(result, (r) =>
      out.fields([
        ['type', r.type],
        ['public key', r.publicKey],
        ['private key', r.privateKey],
      ]),
    );
  },
});
