// How a command is declared. A command module default-exports `defineCommand({...})`: its
// arguments and options (each with the parser that turns the text into a typed value), the
// global capabilities it honours, help text and examples, and `run`, which receives the typed
// values. A group module default-exports `defineGroup({...})`, naming its children with a one-line
// summary and a loader, so help for a group never loads the children's code.
// See DEVELOPING.md ("Adding a command").
import type { CommandContext } from './context.js';

/**
 * Global flags that only make sense for some commands. A command lists the ones it honours;
 * given to any other command, such a flag is refused (exit 2) instead of being silently ignored.
 * - network: --timeout, --plc, --handle-resolver(-first), --dns-server, --dev, --connect-to
 * - auth: --profile (a stored login)
 * - relay: --relay
 * - dryRun: -n/--dry-run      - yes: -y/--yes
 */
export type Capability = 'network' | 'auth' | 'relay' | 'dryRun' | 'yes';

/** What shell completion offers for a value. */
export type ValueKind = 'file' | 'dir' | 'none';

export interface OptionSpec<T> {
  /** Commander flag syntax: "-o, --output <file>", "--json", "--no-verify", "--tag <t>". */
  readonly flags: string;
  readonly description: string;
  readonly repeatable?: boolean;
  readonly required?: boolean;
  readonly choices?: readonly string[];
  /** Shown in help as "(default: …)". */
  readonly defaultText?: string;
  /** The environment variable that also sets it, for help and man pages. */
  readonly env?: string;
  readonly valueKind?: ValueKind;
  readonly hidden?: boolean;
  /** Turns commander's raw value (true | string | string[] | undefined) into the typed value. */
  readonly convert: (raw: unknown, flag: string) => T;
}

export interface ArgSpec<T> {
  /** As shown in usage: "car|id", "values". */
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  readonly variadic: boolean;
  readonly choices?: readonly string[];
  readonly valueKind?: ValueKind;
  readonly convert: (raw: unknown, name: string) => T;
}

export type OptionSpecs = Record<string, OptionSpec<unknown>>;
export type ArgSpecs = Record<string, ArgSpec<unknown>>;

export type OptionValues<O> = { [K in keyof O]: O[K] extends OptionSpec<infer T> ? T : never };
export type ArgValues<A> = { [K in keyof A]: A[K] extends ArgSpec<infer T> ? T : never };

export interface CommandSpec<A extends ArgSpecs = ArgSpecs, O extends OptionSpecs = OptionSpecs> {
  readonly kind: 'command';
  /** Longer text under the summary in help (the summary itself is declared by the parent). */
  readonly description?: string;
  readonly args: A;
  readonly options: O;
  readonly uses: readonly Capability[];
  /** At least one; shown in help and man pages. */
  readonly examples: readonly string[];
  /** Closing help paragraphs: exit status, what is checked, where values come from. */
  readonly notes?: string;
  // Declared as a method so a specific command is assignable to the general type.
  run(ctx: CommandContext<ArgValues<A>, OptionValues<O>>): Promise<number | void>;
}

export interface ChildRef {
  readonly summary: string;
  readonly hidden?: boolean;
  load(): Promise<{ default: NodeSpec }>;
}

export interface GroupSpec {
  readonly kind: 'group';
  readonly description?: string;
  readonly examples: readonly string[];
  readonly notes?: string;
  readonly commands: Readonly<Record<string, ChildRef>>;
}

/**
 * A command group not yet moved onto this layer: its old registrar builds its commander commands.
 * Goes away when the last group is converted.
 */
export type NodeSpec = CommandSpec | GroupSpec;

export function defineCommand<const A extends ArgSpecs = Record<never, never>, const O extends OptionSpecs = Record<never, never>>(spec: {
  description?: string;
  args?: A;
  options?: O;
  uses?: readonly Capability[];
  examples: readonly string[];
  notes?: string;
  run(ctx: CommandContext<ArgValues<A>, OptionValues<O>>): Promise<number | void>;
}): CommandSpec<A, O> {
  return {
    kind: 'command',
    ...spec,
    args: spec.args ?? ({} as A),
    options: spec.options ?? ({} as O),
    uses: spec.uses ?? [],
  };
}

export function defineGroup(spec: Omit<GroupSpec, 'kind'>): GroupSpec {
  return { kind: 'group', ...spec };
}

/** A child of a group: its one-line summary and how to load it. */
export function child(summary: string, load: () => Promise<{ default: NodeSpec }>, opts: { hidden?: boolean } = {}): ChildRef {
  return { summary, load, ...opts };
}
