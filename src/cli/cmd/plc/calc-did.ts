import { usage } from '../../../core/errors.js';
import { arg } from '../../flags.js';
import { defineCommand } from '../../spec.js';
import { readOperationFile } from './shared.js';

export default defineCommand({
  args: { op: arg.required('signed-genesis.json|-', 'the signed genesis operation, as plc sign wrote it ("-" for stdin)', { valueKind: 'file' }) },
  examples: ['atcli plc calc-did signed.json', 'atcli plc sign genesis.json --key-file rotation.key | atcli plc calc-did -'],
  notes: 'The DID is derived from the signed operation; it is printed only once the operation is checked: strict shape, signed by one of its own rotation keys.\nExit status: 0; 3 when it is not a valid signed genesis operation.',
  async run({ args, io, out }) {
    const file = await readOperationFile(io, args.op, 'required');
    const [{ isSigned }, { checkedGenesisDid }] = await Promise.all([import('../../../core/plc/operation.js'), import('../../../core/plc/sign.js')]);
    if (!isSigned(file.operation)) throw usage('InvalidOperationFile', 'the operation is not signed');
    const result = checkedGenesisDid(file.operation);
    await out.result(result, (r) => r.did);
  },
});
