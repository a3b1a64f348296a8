import { generateTid, inspectTid } from '../../../core/syntax/tid.js';
import { child, defineCommand, defineGroup } from '../../spec.js';
import { arg, integer, opt } from '../../flags.js';

const generate = defineCommand({
  options: { count: opt.withDefault('--count <n>', 'how many (each strictly greater than the last)', 1, integer({ min: 1, max: 100_000 })) },
  examples: ['atcli syntax tid generate', 'atcli syntax tid generate --count 5 --json'],
  async run({ opts, out }) {
    const tids = Array.from({ length: opts.count }, () => generateTid());
    await out.result({ tids }, (r) => r.tids.join('\n'));
  },
});

const inspect = defineCommand({
  args: { tid: arg.required('tid', 'a TID, e.g. 3jzfcijpj2z2a') },
  examples: ['atcli syntax tid inspect 3jzfcijpj2z2a'],
  async run({ args, out }) {
    const info = inspectTid(args.tid);
    await out.result(info, (r) =>
      out.fields([
        ['tid', r.tid],
        ['time', r.date],
        ['micros', String(r.timestampMicros)],
        ['clock id', r.clockId],
      ]),
    );
  },
});

export default defineGroup({
  examples: ['atcli syntax tid generate', 'atcli syntax tid inspect 3jzfcijpj2z2a'],
  commands: {
    generate: child('print new TIDs for the current time', async () => ({ default: generate })),
    inspect: child('decode a TID into its timestamp and clock id', async () => ({ default: inspect })),
  },
});
