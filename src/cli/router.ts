// Builds the commander tree from the loaded part of the command tree: global options on the root,
// groups as commands listing their children, leaves with their arguments, options and action.
// Commander parses; help is ours (help.ts); every outcome is reported back to main.ts.
import { Argument, Command, Option } from 'commander';
import { GLOBAL_OPTIONS } from './globals.js';
import type { ArgSpec, CommandSpec, OptionSpec } from './spec.js';
import type { TreeNode } from './tree.js';

export interface Router {
  /** A leaf was invoked: run it with commander's parsed values. */
  runLeaf(node: TreeNode, spec: CommandSpec, command: Command): Promise<void>;
  /** A group (or the root) was invoked without a command word: show its help. */
  showGroup(node: TreeNode, command: Command): Promise<void>;
  /** A command not yet moved onto this layer; `act` wraps its old handlers. */
  /** Help text for a node, at the width help is printed with. */
  helpText(node: TreeNode): string;
  write(stream: 'out' | 'err', text: string): void;
}

const collect = (value: unknown, previous: unknown[] | undefined): unknown[] => [...(previous ?? []), value];

/** The long flag of an option spec ("--key-file"), or its short one. */
export function flagName(spec: Pick<OptionSpec<unknown>, 'flags'>): string {
  return /--[\w-]+/.exec(spec.flags)?.[0] ?? spec.flags.split(/[ ,]/)[0] ?? spec.flags;
}

function toOption(spec: OptionSpec<unknown>): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.repeatable) option.argParser(collect);
  if (spec.choices) option.choices([...spec.choices]);
  if (spec.hidden) option.hideHelp();
  return option;
}

function toArgument(spec: ArgSpec<unknown>): Argument {
  const name = `${spec.name}${spec.variadic ? '...' : ''}`;
  const argument = new Argument(spec.required ? `<${name}>` : `[${name}]`, spec.description);
  if (spec.choices) argument.choices([...spec.choices]);
  return argument;
}

/** Commander's attribute name of an option ("--key-file" → keyFile, "--no-verify" → verify). */
export function attributeOf(spec: OptionSpec<unknown>): string {
  return new Option(spec.flags).attributeName();
}

function configure(cmd: Command, node: TreeNode, router: Router): void {
  cmd.exitOverride();
  cmd.helpCommand(false);
  cmd.helpOption('-h, --help', 'show this help');
  cmd.showSuggestionAfterError(true);
  cmd.configureOutput({ writeOut: (s) => router.write('out', s), writeErr: (s) => router.write('err', s), outputError: () => {} });
  cmd.configureHelp({ formatHelp: () => router.helpText(node) });
}

function addNode(parent: Command, node: TreeNode, router: Router): void {
  const cmd = new Command(node.name).description(node.summary);
  configure(cmd, node, router);
  parent.addCommand(cmd, node.hidden ? { hidden: true } : {});
  const spec = node.spec;
  if (spec === undefined) return; // a stub: enough for the parent's help and for suggestions
  if (spec.kind === 'group') {
    addGroupAction(cmd, node, router);
    for (const c of node.children) addNode(cmd, c, router);
    return;
  }
  for (const a of Object.values(spec.args)) cmd.addArgument(toArgument(a));
  for (const o of Object.values(spec.options)) cmd.addOption(toOption(o));
  cmd.action(async function (this: Command) {
    await router.runLeaf(node, spec, this);
  });
}

function addGroupAction(cmd: Command, node: TreeNode, router: Router): void {
  cmd.allowExcessArguments(true);
  cmd.action(async function (this: Command) {
    // commander's own error for an unknown sub-command, with its "did you mean" suggestion
    if (this.args.length > 0) (this as Command & { unknownCommand(): never }).unknownCommand();
    await router.showGroup(node, this);
  });
}

/** The commander program for a (partly) loaded tree. */
export function buildProgram(root: TreeNode, router: Router): Command {
  const program = new Command('atcli');
  configure(program, root, router);
  for (const g of Object.values(GLOBAL_OPTIONS)) program.addOption(toOption(g.option));
  addGroupAction(program, root, router);
  for (const c of root.children) addNode(program, c, router);
  return program;
}
