// Prompts draw on stderr and only when stdin and stderr are terminals; otherwise a missing
// value is a usage error naming the flag or variable that provides it.
import type { Context } from './context.js';
import { AtcliError, usage } from '../../core/errors.js';

function cannotAsk(what: string, provide: string): AtcliError {
  return usage('InputRequired', `${what} is required and atcli cannot ask for it (stdin is not a terminal, --no-input, or CI is set)`, {
    hint: `provide it with ${provide}`,
  });
}

async function withPromptErrors<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (err) {
    if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) {
      throw new AtcliError('interrupted', 'Interrupted', 'prompt cancelled');
    }
    throw err;
  }
}

export async function promptSecret(ctx: Context, message: string, provide: string): Promise<string> {
  if (!ctx.canPrompt) throw cannotAsk(message, provide);
  const { password } = await import('@inquirer/prompts');
  return withPromptErrors(() =>
    password({ message, mask: false, validate: (v) => (v.length > 0 ? true : 'required') }, { input: process.stdin, output: process.stderr, signal: ctx.signal }),
  );
}

export async function promptText(ctx: Context, message: string, provide: string): Promise<string> {
  if (!ctx.canPrompt) throw cannotAsk(message, provide);
  const { input } = await import('@inquirer/prompts');
  return withPromptErrors(() =>
    input({ message, validate: (v) => (v.trim().length > 0 ? true : 'required') }, { input: process.stdin, output: process.stderr, signal: ctx.signal }),
  ).then((v) => v.trim());
}

/** A yes/no confirmation; `--yes` answers it, and without a terminal it is a usage error. */
export async function confirmAction(ctx: Context, message: string): Promise<boolean> {
  if (ctx.yes) return true;
  if (!ctx.canPrompt) {
    throw usage('ConfirmationRequired', `${message} — confirmation needed, and atcli cannot ask (not a terminal)`, { hint: 'pass --yes to confirm non-interactively' });
  }
  const { confirm } = await import('@inquirer/prompts');
  return withPromptErrors(() => confirm({ message, default: false }, { input: process.stdin, output: process.stderr, signal: ctx.signal }));
}

/** Reads a whole small input ("-" = stdin) such as a key file or a JSON body, with a size cap. */
export async function readSmallInput(path: string, maxBytes: number, what: string): Promise<string> {
  const { createReadStream } = await import('node:fs');
  const stream = path === '-' ? process.stdin : createReadStream(path);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw usage('InputTooLarge', `${what} is larger than ${maxBytes} bytes`);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof AtcliError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw usage('FileNotFound', `${what}: no such file "${path}"`);
    throw new AtcliError('runtime', 'ReadFailed', `could not read ${what} "${path}": ${(err as Error).message}`);
  }
  return Buffer.concat(chunks).toString('utf8');
}
