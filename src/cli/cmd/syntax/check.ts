import { EXIT_CODES } from '../../../core/errors.js';
import { SYNTAX_KINDS, checkSyntax } from '../../../core/syntax/index.js';
import { defineCommand } from '../../spec.js';
import { arg } from '../../flags.js';

export default defineCommand({
  args: {
    kind: arg.choice('kind', 'what the values are', SYNTAX_KINDS),
    values: arg.variadic('values', 'values to check', { required: true }),
  },
  examples: ['atcli syntax check handle alice.example.com', 'atcli syntax check nsid app.bsky.feed.post com.example.Bad-', 'atcli syntax check datetime 2024-01-01T00:00:00Z --json'],
  notes: 'Exit status: 0 every value is valid, 3 at least one is not (each is named with the reason). A value that starts with "-" goes after "--": atcli syntax check handle -- -bad.com',
  async run({ args, out }) {
    const kind = args.kind;
    const results = args.values.map((value) => {
      const reason = checkSyntax(kind, value);
      return reason === null ? { value, valid: true } : { value, valid: false, reason };
    });
    const result = { kind, valid: results.every((r) => r.valid), results };
    await out.result(result, (r) =>
      r.results.map((x) => (x.valid ? `${out.mark('ok')} ${x.value}: valid ${r.kind}` : `${out.mark('fail')} ${x.value}: ${x.reason}`)).join('\n'),
    );
    return result.valid ? 0 : EXIT_CODES.invalid;
  },
});
