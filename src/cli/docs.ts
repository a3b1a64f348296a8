// Man pages (roff) and completion scripts, generated from the command tree. The files under man/
// and completions/ come from here (`npm run gen`); a test fails when they are stale.
import { VERSION } from './context.js';
import { SHELLS, completionScript, type Shell } from './completion.js';
import { GLOBAL_OPTIONS, type GlobalSpec } from './globals.js';
import { acceptedGlobals } from './help.js';
import type { ArgSpec, OptionSpec } from './spec.js';
import { loadAll, type TreeNode } from './tree.js';

const COMPLETION_FILES: Record<Shell, string> = { bash: 'completions/atcli.bash', zsh: 'completions/_atcli', fish: 'completions/atcli.fish' };

const ENVIRONMENT =
  'ATCLI_CONFIG_DIR, ATCLI_PROFILE, ATCLI_PLC_URL, ATCLI_HANDLE_RESOLVER, ATCLI_DNS_SERVER, ATCLI_RELAY_URL, ATCLI_TIMEOUT, ATCLI_DEV, ATCLI_CONNECT_TO, ATCLI_IDENTIFIER, ATCLI_PASSWORD, ATCLI_AUTH_FACTOR_TOKEN, ATCLI_NO_INPUT, ATCLI_QUIET, ATCLI_DEBUG, NO_COLOR, FORCE_COLOR, CI.';

function roff(text: string): string {
  return text.replace(/\\/g, '\\e').replace(/^([.'])/gm, '\\&$1').replace(/-/g, '\\-');
}

function argUsage(a: ArgSpec<unknown>): string {
  const name = `${a.name}${a.variadic ? '...' : ''}`;
  return a.required ? `<${name}>` : `[${name}]`;
}

function optionItem(o: OptionSpec<unknown>): string {
  const extras = [o.choices ? `one of: ${o.choices.join(', ')}` : '', o.defaultText !== undefined ? `default: ${o.defaultText}` : '', o.env ? `env ${o.env}` : ''].filter((x) => x !== '');
  return `.TP\n.B ${roff(o.flags)}\n${roff(extras.length > 0 ? `${o.description} (${extras.join('; ')})` : o.description)}\n`;
}

function manPage(node: TreeNode): string {
  const spec = node.spec;
  const name = ['atcli', ...node.path].join('-');
  const words = ['atcli', ...node.path].join(' ');
  let page = `.TH ${name.toUpperCase()} 1 "" "atcli ${VERSION}" "atcli manual"\n.SH NAME\n${roff(name)} \\- ${roff(node.summary)}\n`;
  if (spec?.kind === 'command') {
    page += `.SH SYNOPSIS\n.B ${roff(`${words} [options] ${Object.values(spec.args).map(argUsage).join(' ')}`.trim())}\n`;
    page += `.SH DESCRIPTION\n${roff(node.summary)}.\n${spec.description ? `.PP\n${roff(spec.description)}\n` : ''}`;
    if (Object.keys(spec.args).length > 0) {
      page += '.SH ARGUMENTS\n';
      for (const a of Object.values(spec.args)) page += `.TP\n.B ${roff(argUsage(a))}\n${roff(a.description)}\n`;
    }
    const options = Object.values(spec.options).filter((o) => !o.hidden);
    if (options.length > 0) page += `.SH OPTIONS\n${options.map(optionItem).join('')}`;
    page += `.SH GLOBAL OPTIONS\n${acceptedGlobals(spec.uses).map((g) => optionItem(g.option)).join('')}`;
  } else if (spec?.kind === 'group') {
    page += `.SH SYNOPSIS\n.B ${roff(`${words} <command> [options]`)}\n`;
    page += `.SH DESCRIPTION\n${roff(node.path.length === 0 ? (spec.description ?? '') : node.summary)}.\n${spec.description && node.path.length > 0 ? `.PP\n${roff(spec.description)}\n` : ''}`;
    page += '.SH COMMANDS\n';
    for (const c of node.children.filter((x) => !x.hidden)) page += `.TP\n.B ${roff(c.name)}\n${roff(c.summary)} (see \\fB${roff(['atcli', ...c.path].join('-'))}\\fR(1))\n`;
    if (node.path.length === 0) page += `.SH GLOBAL OPTIONS\n${(Object.values(GLOBAL_OPTIONS) as GlobalSpec[]).map((g) => optionItem(g.option)).join('')}`;
  }
  const examples = spec ? spec.examples : [];
  if (examples.length > 0) page += `.SH EXAMPLES\n.nf\n${roff(examples.join('\n'))}\n.fi\n`;
  const notes = spec ? spec.notes : undefined;
  if (notes) page += `.SH NOTES\n${roff(notes)}\n`;
  page += '.SH EXIT STATUS\n0 success; 1 runtime failure, or a check could not run (network, missing key); 2 usage error; 3 data checked and invalid; 4 not found; 5 authentication needed or refused; 130 interrupted.\n';
  page += `.SH ENVIRONMENT\n${ENVIRONMENT}\n`;
  if (node.path.length > 0) page += '.SH SEE ALSO\n\\fBatcli\\fR(1)\n';
  return page;
}

/** Every generated file, path → content. */
export async function generatedFiles(): Promise<Map<string, string>> {
  const root = await loadAll();
  const files = new Map<string, string>();
  const visit = async (node: TreeNode): Promise<void> => {
    if (node.hidden) return;
    files.set(`man/${['atcli', ...node.path].join('-')}.1`, manPage(node));
    for (const c of node.children) await visit(c);
  };
  await visit(root);
  for (const shell of SHELLS) files.set(COMPLETION_FILES[shell], completionScript(shell, root));
  return files;
}
