import { defineCommand } from '../../../spec.js';
import { arg, opt } from '../../../flags.js';
import { readJsonArgument } from '../../../inputs.js';
import { PLC_TOKEN_ENV } from '../inputs.js';
import { showChanges } from './changes.js';

const MAX_UPDATE_BYTES = 256 * 1024;

export default defineCommand({
  description:
    'Has the PDS sign (com.atproto.identity.signPlcOperation, not submit) an identity update of the logged-in did:plc. The input names any of rotationKeys, alsoKnownAs, verificationMethods and services (fields left out keep their values); an operation file from "atcli plc update" works too. Checked locally first: the resulting operation (limits, keys, handle, endpoint), and a "prev" in the input must still be the current head. The diff is shown on stderr; the signed operation file goes to stdout.',
  args: { update: arg.required('op.json|-', 'the update as JSON ("-" for stdin)', { valueKind: 'file' }) },
  options: { token: opt.value('--token <code>', 'the code from the e-mail (prompted for otherwise)', { env: PLC_TOKEN_ENV, valueKind: 'none' }) },
  uses: ['network', 'auth'],
  examples: [
    'atcli account plc request-token',
    'atcli plc update alice.example.com --add-rotation-key did:key:zQ3sh… > op.json && atcli account plc sign op.json --token ABCDE-12345 > signed.json',
  ],
  notes: 'Exit status: 0 signed, 3 the update or the code was refused (nothing signed), 2 a missing file or a code that cannot be asked for, 5 not logged in.',
  async run({ args, opts, io, out, err, prompt, f }) {
    const json = await readJsonArgument(io, args.update, 'update', MAX_UPDATE_BYTES);
    const update = await import('../../../../core/account/plc-update.js');
    const request = update.parsePdsUpdateRequest(json);
    const { client, session } = await f.session();
    const plan = await update.preparePdsUpdate(client, await f.plc(), session.did, request);
    for (const w of plan.warnings) err.warn(w);
    showChanges(err, `update for ${plan.did} (prev ${plan.prev}):`, plan.changes);
    const token = opts.token ?? io.env[PLC_TOKEN_ENV] ?? (await prompt.text('Code from the e-mail', `--token or ${PLC_TOKEN_ENV}`));
    const signed = await update.signPdsUpdate(client, plan, token);
    err.info(`signed by ${new URL(client.service).host}: operation ${signed.cid} (not submitted); next: atcli account plc submit signed.json`);
    const { operationFileText } = await import('../../../../core/plc/index.js');
    await out.text(operationFileText(signed.operation, plan.did));
  },
});
