import { usage } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { arg, opt } from '../../flags.js';
import { readSmallInput, refuseSecretArgument } from '../../inputs.js';

const KEY_TEXT_MAX_BYTES = 8 * 1024;

export default defineCommand({
  args: { key: arg.optional('key', 'public key (did:key:z… or z…); private keys are read with --key-file or from stdin ("-")') },
  options: {
    keyFile: opt.value('--key-file <path>', 'read the key from a file ("-" for stdin)', { valueKind: 'file' }),
    type: opt.choice('-t, --type <type>', 'curve of a legacy raw-point key or a hex private key, when the key alone does not tell', ['k256', 'p256']),
  },
  examples: ['atcli key inspect did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme', 'atcli key inspect --key-file rotation.key', 'atcli key generate --json | atcli key inspect -'],
  async run({ args, opts, io, out }) {
    if (args.key !== undefined && opts.keyFile !== undefined) throw usage('ConflictingArguments', 'give the key either as an argument or with --key-file, not both');
    const fromArgv = args.key !== undefined && args.key !== '-';
    let text: string;
    if (opts.keyFile !== undefined) text = await readSmallInput(io, opts.keyFile, KEY_TEXT_MAX_BYTES, 'key file');
    else if (args.key === '-') text = await readSmallInput(io, '-', KEY_TEXT_MAX_BYTES, 'key from stdin');
    else if (args.key !== undefined) text = args.key;
    else throw usage('MissingArgument', 'no key given', { hint: 'pass a public key as the argument, or a private key with --key-file <path> or "-" for stdin' });
    if (fromArgv) await refuseSecretArgument(text.trim(), 'use --key-file <path>, or pipe it: atcli key inspect - < key.txt');
    const { describeKeyText } = await import('../../../core/crypto/index.js');
    const source = opts.keyFile !== undefined ? `--key-file ${opts.keyFile}` : args.key === '-' ? 'stdin' : 'the argument';
    const result = describeKeyText(text, { ...(opts.type !== undefined ? { type: opts.type } : {}), source });
    await out.result(result, (r) =>
      out.fields([
        ['type', r.type],
        ['kind', r.private ? 'private key' : `public key (${r.form}${r.form === 'legacy' ? ' raw-point multibase' : ''})`],
        ['did:key', r.publicKey],
        ['multikey', r.multikey],
      ]),
    );
  },
});
