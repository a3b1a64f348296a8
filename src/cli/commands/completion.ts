import type { CommandRun } from '../program.js';
import { completeWords, completionScript, SHELLS, type Shell } from '../completion.js';
import { writeStdout } from '../output.js';
import { usage } from '../../core/errors.js';

export async function completionCommand({ args }: CommandRun): Promise<void> {
  const shell = args[0] as string;
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw usage('UnknownShell', `unsupported shell "${shell}"`, { hint: `choose one of: ${SHELLS.join(', ')}` });
  }
  await writeStdout(completionScript(shell as Shell));
}

export async function completeWordsCommand({ args, command }: CommandRun): Promise<void> {
  const words = (args[0] as string[] | undefined) ?? [];
  const program = command.parent;
  if (!program) return;
  const candidates = completeWords(program, words);
  if (candidates.length > 0) await writeStdout(`${candidates.join('\n')}\n`);
}
