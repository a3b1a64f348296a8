import { opt } from '../../flags.js';
import { refuseSecretArgument } from '../../inputs.js';
import { defineCommand } from '../../spec.js';
import { idArg, plcDid, showChanges, showWarnings, waitFor } from './shared.js';

export default defineCommand({
  args: { id: idArg },
  options: {
    handle: opt.value('--handle <handle>', 'new primary handle (alsoKnownAs[0])'),
    pds: opt.value('--pds <url>', 'new PDS endpoint (services.atproto_pds)'),
    signingKey: opt.value('--signing-key <did:key>', 'new atproto signing key (verificationMethods.atproto)'),
    addRotationKey: opt.list('--add-rotation-key <did:key>', 'add a rotation key at the lowest priority (repeatable)'),
    addRotationKeyFirst: opt.flag('--add-rotation-key-first', 'add the new rotation keys at the highest priority instead'),
    removeRotationKey: opt.list('--remove-rotation-key <did:key>', 'remove a rotation key (repeatable)'),
    prev: opt.value('--prev <cid>', 'build on this operation instead of the latest: a recovery that nullifies the operations after it (within 72 hours, signed by a higher-priority key)'),
  },
  uses: ['network'],
  examples: [
    'atcli plc update alice.example.com --handle alice.new.example > op.json',
    'atcli plc update did:plc:ewvi7nxzyoun6zhxrhs64oiz --pds https://pds2.example.com --signing-key did:key:zQ3sh… > op.json',
    'atcli plc update did:plc:ewvi7nxzyoun6zhxrhs64oiz --add-rotation-key did:key:zDnae… --remove-rotation-key did:key:zQ3sh… > op.json',
    'atcli plc update did:plc:ewvi7nxzyoun6zhxrhs64oiz --prev bafyrei… --handle alice.example.com > recovery.json',
  ],
  notes:
    'Everything not changed is copied from the operation it builds on. The operation goes to stdout in a file that names its DID ({"did", "operation"}), what it changes to stderr.\nNext: atcli plc sign op.json --key-file <rotation key> > signed.json, then atcli plc submit signed.json.\nExit status: 0; 2 nothing to change; 3 the audit log does not verify, the DID is deactivated, or the result would be invalid; 4 unknown DID.',
  async run({ args, opts, out, err, f }) {
    for (const key of [...opts.addRotationKey, ...opts.removeRotationKey, ...(opts.signingKey !== undefined ? [opts.signingKey] : [])]) {
      await refuseSecretArgument(key, 'give the public did:key; the private key stays in its file');
    }
    const did = await plcDid(f, err, args.id);
    const [{ prepareUpdate }, { operationFileText }] = await Promise.all([import('../../../core/plc/prepare.js'), import('../../../core/plc/operation-file.js')]);
    const client = await f.plc();
    const plan = await waitFor(err, `fetching the audit log of ${did}`, () =>
      prepareUpdate(client, did, {
        ...(opts.handle !== undefined ? { handle: opts.handle } : {}),
        ...(opts.pds !== undefined ? { pds: opts.pds } : {}),
        ...(opts.signingKey !== undefined ? { signingKey: opts.signingKey } : {}),
        addRotationKeys: opts.addRotationKey,
        removeRotationKeys: opts.removeRotationKey,
        addRotationKeysAt: opts.addRotationKeyFirst ? 'first' : 'last',
        ...(opts.prev !== undefined ? { prev: opts.prev } : {}),
      }),
    );
    showWarnings(err, plan.warnings, plan.warningsOmitted);
    const recovery = plan.base.cid !== plan.head.cid;
    const base = `operation #${plan.base.index} (${plan.base.cid})`;
    showChanges(
      err,
      recovery
        ? `changes to ${did} compared with its current state, operation #${plan.head.index} (${plan.head.cid}) (the operation builds on ${base}):`
        : `changes to ${did} (on top of the current ${base}):`,
      plan.changes,
      plan.changesOmitted,
    );
    if (recovery) {
      const more = plan.nullifiesOmitted > 0 ? ` and ${plan.nullifiesOmitted} more` : '';
      err.warn(`this is a RECOVERY: it forks at ${base} and nullifies ${plan.nullifies.map((n) => n.label).join(', ')}${more}`);
    }
    err.info(`it must be signed by one of these rotation keys: ${plan.signers.map((s) => `#${s.keyIndex} ${s.key}`).join(', ')}`);
    err.info('next: atcli plc sign op.json --key-file <rotation key> > signed.json && atcli plc submit signed.json');
    await out.text(operationFileText(plan.operation, did));
  },
});
