// What a command's `run` receives: its typed arguments and options, the global settings, the IO,
// the renderers, prompts, and a factory of lazily built clients.
import { AtcliError, usage } from '../core/errors.js';
import type { Factory } from './factory.js';
import type { Globals } from './globals.js';
import type { IO } from './io.js';
import type { Output } from './render/output.js';
import type { StderrWriter } from './render/stderr.js';

declare const __ATCLI_VERSION__: string | undefined;
export const VERSION: string = typeof __ATCLI_VERSION__ === 'string' ? __ATCLI_VERSION__ : '0.0.0-dev';

export interface CommandContext<A, O> {
  readonly args: A;
  readonly opts: O;
  readonly g: Globals;
  readonly io: IO;
  /** stdout: results, tables, fields. */
  readonly out: Output;
  /** stderr: notes, warnings, hints, progress, spinners. */
  readonly err: StderrWriter;
  readonly prompt: Prompts;
  readonly f: Factory;
  /** Aborted on Ctrl-C / SIGTERM. */
  readonly signal: AbortSignal;
  /** "repo verify": for messages and hints. */
  readonly path: string;
}

/** Prompts draw on stderr, only when stdin and stderr are terminals and --no-input is not set. */
export class Prompts {
  constructor(
    private readonly io: IO,
    private readonly g: Pick<Globals, 'noInput' | 'yes'>,
    private readonly signal: AbortSignal,
  ) {}

  get canPrompt(): boolean {
    return !this.g.noInput && this.io.stdinIsTTY && this.io.stderrIsTTY;
  }

  private cannotAsk(what: string, provide: string): AtcliError {
    return usage('InputRequired', `${what} is required and atcli cannot ask for it (stdin is not a terminal, --no-input, or CI is set)`, {
      hint: `provide it with ${provide}`,
    });
  }

  private async ask<T>(question: () => Promise<T>): Promise<T> {
    try {
      return await question();
    } catch (err) {
      if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) {
        throw new AtcliError('interrupted', 'Interrupted', 'prompt cancelled');
      }
      throw err;
    }
  }

  /** Hidden input; `provide` names the flag or variable that gives it without a prompt. */
  secret(message: string, provide: string): Promise<string> {
    if (!this.canPrompt) throw this.cannotAsk(message, provide);
    return this.ask(() => this.io.prompter.secret(message, this.signal));
  }

  text(message: string, provide: string): Promise<string> {
    if (!this.canPrompt) throw this.cannotAsk(message, provide);
    return this.ask(() => this.io.prompter.text(message, this.signal));
  }

  /** A yes/no question defaulting to no; --yes answers it, and without a terminal it is a usage error. */
  async confirm(message: string): Promise<boolean> {
    if (this.g.yes) return true;
    if (!this.canPrompt) {
      throw usage('ConfirmationRequired', `${message} — confirmation needed, and atcli cannot ask (not a terminal)`, { hint: 'pass --yes to confirm non-interactively' });
    }
    return this.ask(() => this.io.prompter.confirm(message, this.signal));
  }

  /** confirm(), and a "Cancelled" usage error when the answer is no. */
  async require(message: string, cancelled: string): Promise<void> {
    if (!(await this.confirm(message))) throw usage('Cancelled', cancelled);
  }
}
