import { usage } from '../../../core/errors.js';
import { opt } from '../../flags.js';
import { refuseSecretArgument } from '../../inputs.js';
import { defineCommand } from '../../spec.js';
import { showChanges, showWarnings } from './shared.js';

export default defineCommand({
  options: {
    signingKey: opt.required('--signing-key <did:key>', 'the atproto signing key (verificationMethods.atproto), a p256/k256 did:key'),
    rotationKey: opt.list('--rotation-key <did:key>', 'a rotation key, highest priority first (repeatable, 1 to 5)'),
    handle: opt.required('--handle <handle>', 'the handle (alsoKnownAs[0] = at://<handle>)'),
    pds: opt.required('--pds <url>', 'the PDS endpoint (https; http only for a loopback host)'),
  },
  examples: [
    'atcli plc genesis --signing-key did:key:zQ3sh… --rotation-key did:key:zDnae… --rotation-key did:key:zQ3sh… --handle alice.example.com --pds https://pds.example.com > genesis.json',
    'atcli plc sign genesis.json --key-file rotation.key > signed.json && atcli plc calc-did signed.json',
  ],
  notes:
    'The operation goes to stdout, what it sets up to stderr. It has no DID until it is signed (the DID is derived from the signed operation).\nExit status: 0; 3 when it would be invalid, refused before anything is printed: an invalid handle or endpoint, a key that is not a p256/k256 did:key, duplicate rotation keys, more than 5 rotation keys, an operation over 4000 bytes.',
  async run({ opts, out, err }) {
    if (opts.rotationKey.length === 0) throw usage('MissingOption', '--rotation-key is required (at least one)');
    for (const key of [...opts.rotationKey, opts.signingKey]) await refuseSecretArgument(key, 'give the public did:key; the private key stays in its file');
    const [{ prepareGenesis }, { operationFileText }] = await Promise.all([import('../../../core/plc/prepare.js'), import('../../../core/plc/operation-file.js')]);
    const genesis = prepareGenesis({ rotationKeys: opts.rotationKey, signingKey: opts.signingKey, handle: opts.handle, pds: opts.pds });
    showWarnings(err, genesis.warnings, genesis.warningsOmitted);
    showChanges(err, 'genesis operation:', genesis.changes, genesis.changesOmitted);
    err.info('next: sign it with one of its rotation keys: atcli plc sign genesis.json --key-file <rotation key> > signed.json');
    await out.text(operationFileText(genesis.operation, undefined));
  },
});
