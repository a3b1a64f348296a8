// Generates man pages (roff) and completion scripts from the command tree. The committed files
// under man/ and completions/ come from here (`npm run gen`), and a test fails when they are stale.
import type { Argument, Command, Option } from 'commander';
import type { Act } from './program.js';
import { VERSION } from './context.js';

const completionFile: Record<string, string> = { bash: 'completions/atcli.bash', zsh: 'completions/_atcli', fish: 'completions/atcli.fish' };

function roff(text: string): string {
  return text.replace(/\\/g, '\\e').replace(/^([.'])/gm, '\\&$1').replace(/-/g, '\\-');
}

function hidden(cmd: Command): boolean {
  return (cmd as unknown as { _hidden?: boolean })._hidden === true;
}

function argUsage(arg: Argument): string {
  const name = `${arg.name()}${arg.variadic ? '...' : ''}`;
  return arg.required ? `<${name}>` : `[${name}]`;
}

function commandPath(cmd: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names;
}

function optionBlock(options: readonly Option[]): string {
  return options
    .filter((o) => !o.hidden)
    .map((o) => {
      let desc = o.description;
      if (o.argChoices) desc += ` (one of: ${o.argChoices.join(', ')})`;
      if (o.defaultValue !== undefined && typeof o.defaultValue !== 'boolean' && o.defaultValue !== 0) desc += ` (default: ${String(o.defaultValue)})`;
      return `.TP\n.B ${roff(o.flags)}\n${roff(desc)}\n`;
    })
    .join('');
}

function helpAfter(cmd: Command): string {
  // The "after" help text (examples, notes) registered with addHelpText; commander hands each
  // listener a context whose write() we capture.
  let text = '';
  const emitter = cmd as unknown as { listeners(event: string): Array<(ctx: { error: boolean; command: Command; write: (s: string) => void }) => void> };
  for (const listener of emitter.listeners('afterHelp')) {
    listener({ error: false, command: cmd, write: (s) => (text += s) });
  }
  return text;
}

function manPage(cmd: Command, program: Command): string {
  const path = commandPath(cmd);
  const name = path.join('-');
  const title = name.toUpperCase();
  const isRoot = cmd === program;
  const synopsis = `${path.join(' ')}${cmd.options.length > 0 || isRoot ? ' [options]' : ''}${cmd.commands.filter((c) => !hidden(c)).length > 0 ? ' <command>' : ''} ${cmd.registeredArguments.map(argUsage).join(' ')}`.trim();
  let page = `.TH ${title} 1 "" "atcli ${VERSION}" "atcli manual"\n.SH NAME\n${roff(name)} \\- ${roff(cmd.description())}\n.SH SYNOPSIS\n.B ${roff(synopsis)}\n`;
  page += `.SH DESCRIPTION\n${roff(cmd.description())}.\n`;
  if (cmd.registeredArguments.length > 0) {
    page += '.SH ARGUMENTS\n';
    for (const arg of cmd.registeredArguments) page += `.TP\n.B ${roff(argUsage(arg))}\n${roff(arg.description || arg.name())}\n`;
  }
  const subs = cmd.commands.filter((c) => !hidden(c));
  if (subs.length > 0) {
    page += '.SH COMMANDS\n';
    for (const sub of subs) page += `.TP\n.B ${roff(sub.name())}\n${roff(sub.description())} (see \\fB${roff(commandPath(sub).join('-'))}\\fR(1))\n`;
  }
  if (!isRoot && cmd.options.length > 0) page += `.SH OPTIONS\n${optionBlock(cmd.options)}`;
  page += `.SH GLOBAL OPTIONS\n${optionBlock(program.options)}`;
  const after = helpAfter(cmd).trim();
  if (after) page += `.SH NOTES\n.nf\n${roff(after)}\n.fi\n`;
  page += `.SH EXIT STATUS\n0 success; 1 runtime failure (network, server, I/O); 2 usage error; 3 data checked and invalid; 4 not found; 5 authentication needed or refused; 130 interrupted.\n`;
  page += `.SH ENVIRONMENT\nATCLI_CONFIG_DIR, ATCLI_PROFILE, ATCLI_PLC_URL, ATCLI_HANDLE_RESOLVER, ATCLI_DNS_SERVER, ATCLI_RELAY_URL, ATCLI_TIMEOUT, ATCLI_DEV, ATCLI_CONNECT_TO, ATCLI_IDENTIFIER, ATCLI_PASSWORD, ATCLI_AUTH_FACTOR_TOKEN, ATCLI_NO_INPUT, ATCLI_QUIET, ATCLI_DEBUG, NO_COLOR, FORCE_COLOR, CI.\n`;
  if (!isRoot) page += `.SH SEE ALSO\n\\fBatcli\\fR(1)\n`;
  return page;
}

/** Man pages of a group not yet moved onto the new layer (its sub-commands only). */
export async function legacyManPages(name: string, register: (group: Command, act: Act) => void): Promise<Map<string, string>> {
  const { Command } = await import('commander');
  const program = new Command('atcli');
  const group = program.command(name);
  register(group, () => async () => {});
  const pages = new Map<string, string>();
  const visit = (cmd: Command): void => {
    if (hidden(cmd)) return;
    pages.set(`man/${commandPath(cmd).join('-')}.1`, manPage(cmd, program));
    for (const sub of cmd.commands) visit(sub);
  };
  for (const sub of group.commands) visit(sub);
  return pages;
}
