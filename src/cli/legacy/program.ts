// Types and helpers of the old command layer, used by the groups not yet moved onto the new one.
import type { Command } from 'commander';
import type { Context, GlobalOptions } from './context.js';

export type CommandHandler = (run: CommandRun) => Promise<number | void>;

export interface CommandRun {
  ctx: Context;
  args: unknown[];
  opts: Record<string, unknown>;
  globals: GlobalOptions;
  command: Command;
}


export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Wraps a lazily loaded handler as a commander action. */
export type Act = (load: () => Promise<CommandHandler>) => (this: Command, ...args: unknown[]) => Promise<void>;

export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

