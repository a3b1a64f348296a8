import { usage } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { opt } from '../../flags.js';

export default defineCommand({
  options: {
    type: opt.choiceWithDefault('-t, --type <type>', 'key type', ['k256', 'p256'], 'k256'),
    output: opt.value('-o, --output <path>', 'write the private key to this file (0600, never over an existing file) instead of stdout', { valueKind: 'file' }),
    recovery: opt.flag('--recovery', 'a recovery key for your did:plc identity: written only to --output, with what to do with it'),
  },
  examples: ['atcli key generate', 'atcli key generate --type p256 --json > key.json', 'atcli key generate --recovery -o /media/usb/recovery.key'],
  notes:
    'The private key is printed once and not stored by atcli, unless -o names a file (created 0600; an existing file is never replaced). "atcli key inspect --key-file" reads both forms. With --recovery the key goes only to the -o file: keep that file OFFLINE (a USB stick, paper), never on the machine that runs your PDS; its public half is what "atcli account recovery-key add" takes.\n' +
    'JSON: type, publicKey, and privateKey (to stdout) or file (with -o).\nExit status: 0 written, 2 usage (--recovery without -o, the file exists).',
  async run({ opts, out, err }) {
    if (opts.recovery && opts.output === undefined) throw usage('MissingOption', '--recovery needs -o/--output <path>: a recovery key is written to a file, never to the terminal', { hint: 'atcli key generate --recovery -o /media/usb/recovery.key' });
    const { generatePrivateKey, writePrivateKeyFile } = await import('../../../core/crypto/index.js');
    const key = generatePrivateKey(opts.type);
    if (opts.output !== undefined) {
      const written = await writePrivateKeyFile(opts.output, key);
      const result = { type: written.type, publicKey: written.publicKey, file: written.path, recovery: opts.recovery };
      await out.result(result, (r) => out.fields([['type', r.type], ['public key', r.publicKey], ['private key file', `${r.file} (0600)`]]));
      if (opts.recovery) {
        err.warn(`keep ${written.path} OFFLINE (a USB stick you unplug, a printout): whoever holds it can take over your identity, and without it you cannot undo what your PDS does`);
        err.hint(`add it to your identity with: atcli account recovery-key add ${written.publicKey}`);
      }
      return;
    }
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
