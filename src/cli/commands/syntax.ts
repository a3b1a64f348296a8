import type { CommandRun } from '../program.js';
import { printResult, stdoutChalk } from '../output.js';
import { checkSyntax, generateTid, inspectTid, SYNTAX_KINDS, type SyntaxKind } from '../../core/syntax/index.js';
import { usage } from '../../core/errors.js';
import { EXIT_CODES } from '../../core/errors.js';

export interface SyntaxCheckResult {
  kind: SyntaxKind;
  valid: boolean;
  results: Array<{ value: string; valid: boolean; reason?: string }>;
}

export async function syntaxCheckCommand({ ctx, args }: CommandRun): Promise<number> {
  const kind = args[0] as string;
  const values = args[1] as string[];
  if (!(SYNTAX_KINDS as readonly string[]).includes(kind)) {
    throw usage('UnknownSyntaxKind', `unknown kind "${kind}"`, { hint: `kinds: ${SYNTAX_KINDS.join(', ')}` });
  }
  const results = values.map((value) => {
    const reason = checkSyntax(kind as SyntaxKind, value);
    return reason === null ? { value, valid: true } : { value, valid: false, reason };
  });
  const result: SyntaxCheckResult = { kind: kind as SyntaxKind, valid: results.every((r) => r.valid), results };
  const c = stdoutChalk(ctx);
  await printResult(ctx, result, (r) =>
    r.results.map((x) => (x.valid ? `${c.green('✓')} ${x.value}: valid ${r.kind}` : `${c.red('✗')} ${x.value}: ${x.reason}`)).join('\n'),
  );
  return result.valid ? 0 : EXIT_CODES.invalid;
}

export async function tidGenerateCommand({ ctx, opts }: CommandRun): Promise<void> {
  const count = Number(opts.count);
  if (!Number.isInteger(count) || count < 1 || count > 100_000) {
    throw usage('InvalidCount', `--count must be an integer from 1 to 100000, got "${String(opts.count)}"`);
  }
  const tids = Array.from({ length: count }, () => generateTid());
  await printResult(ctx, { tids }, (r) => r.tids.join('\n'));
}

export async function tidInspectCommand({ ctx, args }: CommandRun): Promise<void> {
  const info = inspectTid(args[0] as string);
  await printResult(ctx, info, (r) => `${r.tid}\n  time      ${r.date}\n  micros    ${r.timestampMicros}\n  clock id  ${r.clockId}`);
}
