import { usage } from '../../core/errors.js';
import { defineCommand } from '../spec.js';
import { arg } from '../flags.js';
import { helpWidth, renderGlobalsHelp, renderHelp } from '../help.js';
import { loadPath } from '../tree.js';

export default defineCommand({
  args: { words: arg.variadic('command', 'the command to explain, e.g. "repo verify"; "globals" for the global options') },
  examples: ['atcli help repo verify', 'atcli help globals'],
  notes: '"atcli help <command>" prints the same as "atcli <command> --help".',
  async run({ args, io, out }) {
    const width = helpWidth(io.stdoutIsTTY, io.stdoutColumns);
    if (args.words.length === 1 && args.words[0] === 'globals') return out.text(renderGlobalsHelp(width));
    const { target, consumed } = await loadPath(args.words);
    if (consumed < args.words.length) {
      const known = ['atcli', ...target.path].join(' ');
      const names = target.children.filter((c) => !c.hidden).map((c) => c.name);
      throw usage('UnknownCommand', `unknown command "${args.words.slice(0, consumed + 1).join(' ')}"`, {
        hint: names.length > 0 ? `"${known}" has: ${names.join(', ')}` : `"${known}" has no sub-commands`,
      });
    }
    if (consumed > 0 && args.words.length > consumed) {
      const { run } = await import('../main.js');
      return run([...args.words, '--help'], { io });
    }
    await out.text(renderHelp(target, width));
  },
});
