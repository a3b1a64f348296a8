import { Option, type Command } from 'commander';
import { examples, type Act } from '../program.js';

export function registerKeyCommands(key: Command, act: Act): void {
  key
    .command('generate')
    .description('generate a new key pair (the private key goes to stdout: store it safely)')
    .addOption(new Option('-t, --type <type>', 'key type').choices(['k256', 'p256']).default('k256'))
    .addHelpText('after', examples(['atcli key generate', 'atcli key generate --type p256 --json > key.json']))
    .action(act(async () => (await import('../commands/key.js')).keyGenerateCommand));
  key
    .command('inspect')
    .description('parse a public key (did:key, multikey, legacy forms) or a private key read from --key-file / stdin')
    .argument('[key]', 'public key (did:key:z… or z…); private keys are read with --key-file or from stdin ("-")')
    .option('--key-file <path>', 'read the key from a file ("-" for stdin)')
    .addOption(new Option('-t, --type <type>', 'curve of a legacy raw-point key, when the point alone does not tell').choices(['k256', 'p256']))
    .addHelpText('after', examples(['atcli key inspect did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme', 'atcli key inspect --key-file rotation.key']))
    .action(act(async () => (await import('../commands/key.js')).keyInspectCommand));
}
