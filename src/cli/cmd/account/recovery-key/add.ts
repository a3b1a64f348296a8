import { usage } from '../../../../core/errors.js';
import type { RecoveryKeyResult } from '../../../../core/account/recovery-key.js';
import { defineCommand } from '../../../spec.js';
import { arg, opt } from '../../../flags.js';
import { publicKeyArgument } from '../../../inputs.js';
import type { Output } from '../../../render/output.js';
import { PLC_TOKEN_ENV } from '../inputs.js';

function render(out: Output, r: RecoveryKeyResult): string {
  const head =
    r.status === 'added'
      ? `${out.mark('ok')} ${r.key} is now rotation key #0 of ${r.did}${r.operation ? ` (operation ${r.operation.cid})` : ''}`
      : r.status === 'already-first'
        ? `${out.mark('ok')} ${r.key} is already rotation key #0 of ${r.did}: nothing to do`
        : r.status === 'dry-run'
          ? `dry run, nothing requested or signed: ${r.did} would get ${r.key} as rotation key #0`
          : `waiting for the code the PDS e-mailed (requested ${r.tokenRequestedAt ?? ''})`;
  return [head, ...r.changes.map((c) => `  ${c}`), `  rotation keys: ${r.rotationKeys.after.join(', ')}`].join('\n');
}

export default defineCommand({
  description:
    "Puts a rotation key you hold at the top of the logged-in account's did:plc identity. The account's PDS signs the update with its own rotation key once you confirm with the code it e-mails to the account's address; the update is checked against the verified audit log before the PDS is asked, and the directory's new state is checked after.",
  args: { key: arg.required('did:key', 'the PUBLIC half of your recovery key (atcli key generate --recovery prints it)') },
  options: {
    plcToken: opt.value('--plc-token <code>', 'the code from the e-mail, when you have one already (else one is requested and asked for)', { env: PLC_TOKEN_ENV, valueKind: 'none' }),
  },
  uses: ['network', 'auth', 'dryRun', 'yes'],
  examples: ['atcli account recovery-key add did:key:zQ3sh…', 'atcli account recovery-key add did:key:zQ3sh… --dry-run', 'atcli account recovery-key add did:key:zQ3sh… --plc-token ABCDE-12345 --yes --json'],
  notes:
    'Keep the private key OFFLINE (not on the machine that runs your PDS or this login). The change is shown and confirmed before the PDS signs it (--yes confirms). Without a terminal the e-mailed code cannot be asked for: the run stops after requesting it (exit 2); run it again with --plc-token (or ATCLI_PLC_TOKEN) within about 15 minutes.\n' +
    'JSON: status (added|already-first|dry-run|waiting-for-token), did, key, rotationKeys (before, after), changes, warnings, operation (cid, prev, signedBy), tokenRequestedAt.\n' +
    'Exit status: 0 added (or already first, or a dry run), 2 usage, not confirmed, or waiting for the e-mailed code without a terminal, 3 the audit log does not verify or the update would be invalid, 5 not logged in.',
  async run({ args, opts, g, io, out, err, f, prompt }) {
    await publicKeyArgument(args.key, 'the key');
    const token = opts.plcToken ?? io.env[PLC_TOKEN_ENV];
    const { addRecoveryKey } = await import('../../../../core/account/recovery-key.js');
    const { client } = await f.session();
    const result = await addRecoveryKey({
      client,
      plc: await f.plc(),
      key: args.key,
      ...(token !== undefined && token !== '' ? { token } : {}),
      dryRun: g.dryRun,
      askToken: async ({ did }) => (prompt.canPrompt ? prompt.text(`Code from the e-mail the PDS sent to the address of ${did}`, `--plc-token or ${PLC_TOKEN_ENV}`) : undefined),
      confirm: async (plan) => {
        err.info(`${plan.did}: rotation key ${plan.key} goes to the top (prev ${plan.prev})`);
        for (const c of plan.changes) err.info(`  ${c}`);
        for (const w of plan.warnings) err.warn(w);
        return prompt.confirm(`Ask the PDS to sign this update of ${plan.did}?`);
      },
    });
    for (const w of result.warnings) err.warn(w);
    await out.result(result, (r) => render(out, r));
    if (result.status === 'waiting-for-token') {
      throw usage('InputRequired', "the code the PDS e-mailed to the account's address is needed, and atcli cannot ask for it (not a terminal)", {
        hint: `the code is valid for about 15 minutes; run again with --plc-token <code> (or ${PLC_TOKEN_ENV})`,
        details: { status: result.status },
      });
    }
    if (result.status === 'added') err.hint(`watch the identity with: atcli plc watch ${result.did} --my-keys ${result.key}`);
  },
});
