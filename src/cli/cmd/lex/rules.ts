import { defineCommand } from '../../spec.js';

export default defineCommand({
  examples: ['atcli lex rules', 'atcli lex rules --json'],
  notes: 'Lint levels: error, warning, info (see "atcli lex lint --help"). Evolution rules are errors when a change tightens what old readers accept and warnings when it loosens it. Rules that goat (the Go atproto tool) also checks are marked.',
  async run({ out }) {
    const { BREAKING_RULES, LINT_RULES } = await import('../../../core/lexicon/index.js');
    const result = {
      lint: LINT_RULES.map((r) => ({ code: r.code, level: r.level, origin: r.origin, description: r.description })),
      breaking: BREAKING_RULES.map((r) => ({ code: r.code, origin: r.origin, description: r.description })),
    };
    const c = out.c;
    const goat = (origin: string): string => (origin === 'goat' ? c.dim(' (goat)') : '');
    await out.result(result, async (r) => {
      // Piped: one tab-separated line per rule (kind, code, level, description).
      if (!out.tty) return out.table([...r.lint.map((x) => ['lint', x.code, x.level, x.description]), ...r.breaking.map((x) => ['evolution', x.code, '', x.description])]);
      const lint = await out.table(r.lint.map((x) => [x.code, x.level, x.description + goat(x.origin)]), ['CODE', 'LEVEL', 'DESCRIPTION']);
      const breaking = await out.table(r.breaking.map((x) => [x.code, x.description + goat(x.origin)]), ['CODE', 'DESCRIPTION']);
      return `${c.bold('lint rules')} (atcli lex lint)\n${lint}\n\n${c.bold('evolution rules')} (atcli lex breaking: tighter = error, looser = warning)\n${breaking}`;
    });
  },
});
