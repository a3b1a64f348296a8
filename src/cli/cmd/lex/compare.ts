// The two versions `lex diff` and `lex breaking` compare: two files, or one schema (a file, or an
// NSID found in the project folder) and the version its authority publishes.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { usage } from '../../../core/errors.js';
import type { LexiconDocument } from '../../../core/lexicon/index.js';
import { checkNsid } from '../../../core/syntax/index.js';
import { arg } from '../../flags.js';
import type { Factory } from '../../factory.js';
import type { StderrWriter } from '../../render/stderr.js';
import { DEFAULT_DIR, checkDirOption, display, lexiconResolver, lexiconsOption } from './shared.js';

export interface Compared {
  old: string;
  new: string;
  a: LexiconDocument;
  b: LexiconDocument;
  /** Set when the old side is the published version. */
  published: { did: string; uri: string; cid: string; rev: string; localCid: string; inSync: boolean } | null;
}

export const compareArgs = (verb: string) => ({
  schema: arg.required('schema', `a Lexicon JSON file or an NSID (found in --lexicons); alone: ${verb} the version its authority publishes`, { valueKind: 'file' }),
  newer: arg.optional('new', 'the new version (Lexicon JSON file); <schema> is then the old one', { valueKind: 'file' }),
});

export const compareLexiconsOption = lexiconsOption('project folder to find an NSID in (default ./lexicons)');

export async function versionsToCompare(f: Factory, err: StderrWriter, first: string, second: string | undefined, dir: string | undefined): Promise<Compared> {
  const { loadLexiconFile, lexiconRelativePath } = await import('../../../core/lexicon/index.js');
  if (second !== undefined) {
    return { old: display(first), new: display(second), a: await loadLexiconFile(first), b: await loadLexiconFile(second), published: null };
  }
  checkDirOption(dir);
  let file = first;
  if (!existsSync(first) && checkNsid(first) === null) {
    file = join(dir ?? DEFAULT_DIR, ...lexiconRelativePath(first).split('/'));
    if (!existsSync(file)) throw usage('FileNotFound', `no local file for ${first} (looked for ${display(file)})`, { hint: 'give the file, or the project folder with --lexicons <dir>' });
  }
  const { compareWithPublished } = await import('../../../core/lexicon/network.js');
  const { local, published, inSync } = await compareWithPublished(await lexiconResolver(f, err), file);
  return {
    old: `${published.uri} (published, ${published.cid})`,
    new: display(file),
    a: published.document,
    b: local.document,
    published: { did: published.did, uri: published.uri, cid: published.cid, rev: published.rev, localCid: local.cid, inSync },
  };
}
