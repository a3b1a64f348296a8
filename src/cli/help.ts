// Help text, rendered from the command tree. A group shows its commands first; a command shows its
// arguments, its own options and, in one line, the global flags it accepts (all of them in full
// only in "atcli --help" and "atcli help globals"). Wrapped to the terminal, 80 columns when piped.
import { GLOBAL_OPTIONS, type GlobalSpec } from './globals.js';
import type { ArgSpec, Capability, NodeSpec, OptionSpec } from './spec.js';
import type { TreeNode } from './tree.js';
import { wrap } from './render/text.js';

const MAX_WIDTH = 120;
const MAX_LEFT = 32;

export function helpWidth(stdoutIsTTY: boolean, columns: number | undefined): number {
  return stdoutIsTTY && columns ? Math.max(40, Math.min(columns, MAX_WIDTH)) : 80;
}

interface Row {
  left: string;
  right: string;
}

function block(title: string, rows: readonly Row[], width: number): string {
  if (rows.length === 0) return '';
  const leftWidth = Math.min(MAX_LEFT, Math.max(...rows.map((r) => r.left.length)));
  const indent = 2 + leftWidth + 2;
  const lines = rows.map((r) => {
    const text = wrap(r.right, Math.max(indent + 20, width), indent, indent);
    if (r.left.length > leftWidth) return `  ${r.left}\n${' '.repeat(indent)}${wrap(r.right, Math.max(indent + 20, width), indent, indent)}`;
    return `  ${r.left.padEnd(leftWidth)}  ${text}`;
  });
  return `${title}:\n${lines.join('\n')}\n`;
}

function optionRight(spec: OptionSpec<unknown>): string {
  const extras: string[] = [];
  if (spec.required) extras.push('required');
  if (spec.choices) extras.push(`one of: ${spec.choices.join(', ')}`);
  if (spec.defaultText !== undefined) extras.push(`default: ${spec.defaultText}`);
  if (spec.env) extras.push(`env ${spec.env}`);
  if (spec.repeatable) extras.push('repeatable');
  return extras.length > 0 ? `${spec.description} (${extras.join('; ')})` : spec.description;
}

function argLeft(spec: ArgSpec<unknown>): string {
  const name = `${spec.name}${spec.variadic ? '...' : ''}`;
  return spec.required ? `<${name}>` : `[${name}]`;
}

function paragraph(text: string | undefined, width: number): string {
  return text ? `${wrap(text, width)}\n` : '';
}

function examplesBlock(examples: readonly string[]): string {
  return examples.length > 0 ? `Examples:\n${examples.map((e) => `  ${e}`).join('\n')}\n` : '';
}

/** The global flags a command accepts: every unscoped one plus those its capabilities allow. */
export function acceptedGlobals(uses: readonly Capability[]): GlobalSpec[] {
  return (Object.values(GLOBAL_OPTIONS) as GlobalSpec[]).filter((g) => g.scope === undefined || uses.includes(g.scope));
}

function globalRows(globals: readonly GlobalSpec[]): Row[] {
  return globals.map((g) => ({ left: g.option.flags, right: optionRight(g.option) }));
}

function join(sections: string[]): string {
  return `${sections.filter((s) => s !== '').join('\n')}`;
}

function usageLine(node: TreeNode, spec: NodeSpec | undefined): string {
  const path = ['atcli', ...node.path].join(' ');
  if (spec?.kind === 'command') {
    const args = Object.values(spec.args).map(argLeft).join(' ');
    return `Usage: ${path} [options]${args ? ` ${args}` : ''}\n`;
  }
  return `Usage: ${path} <command> [options]\n`;
}

export function renderHelp(node: TreeNode, width: number): string {
  const spec = node.spec;
  const isRoot = node.path.length === 0;
  if (spec === undefined) return join([usageLine(node, spec), paragraph(node.summary, width)]);
  if (spec.kind === 'group') {
    const commands = node.children.filter((c) => !c.hidden).map((c) => ({ left: c.name, right: c.summary }));
    const footer = isRoot
      ? 'Run "atcli <command> --help" (or "atcli help <command>") for a command\'s options and examples.'
      : `Run "atcli ${node.path.join(' ')} <command> --help" for a command's options and examples; "atcli help globals" for the global options.`;
    return join([
      usageLine(node, spec),
      paragraph(isRoot ? spec.description : node.summary, width),
      block('Commands', commands, width),
      isRoot ? '' : paragraph(spec.description, width),
      isRoot ? block('Global options', globalRows(acceptedGlobals(['network', 'auth', 'relay', 'dryRun', 'yes'])), width) : '',
      examplesBlock(spec.examples),
      paragraph(spec.notes, width),
      paragraph(footer, width),
    ]);
  }
  const args = Object.values(spec.args).map((a) => ({ left: argLeft(a), right: a.choices ? `${a.description} (one of: ${a.choices.join(', ')})` : a.description }));
  const options = [...Object.values(spec.options).filter((o) => !o.hidden).map((o) => ({ left: o.flags, right: optionRight(o) })), { left: '-h, --help', right: 'show this help' }];
  const globals = acceptedGlobals(spec.uses).map((g) => g.short).join(' ');
  return join([
    usageLine(node, spec),
    paragraph(node.summary, width),
    paragraph(spec.description, width),
    block('Arguments', args, width),
    block('Options', options, width),
    `${wrap(`Global options: ${globals} (see "atcli help globals")`, width, 2)}\n`,
    examplesBlock(spec.examples),
    paragraph(spec.notes, width),
  ]);
}

/** "atcli help globals": every global flag in full, with what each is for. */
export function renderGlobalsHelp(width: number): string {
  return join([
    'Global options (accepted before or after the command; a flag a command cannot honour is refused):\n',
    block('Options', globalRows(acceptedGlobals(['network', 'auth', 'relay', 'dryRun', 'yes'])), width),
    paragraph(
      'Environment: ATCLI_CONFIG_DIR (sessions and state; default $XDG_CONFIG_HOME/atcli), ATCLI_IDENTIFIER + ATCLI_PASSWORD (a login for one process, never stored), ATCLI_DEBUG=1 (stack traces), NO_COLOR, FORCE_COLOR, CI (implies --no-input).',
      width,
    ),
  ]);
}
