/**
 * Lexicon support (spec: lexicon): the schema model, schema validation, a catalog that resolves
 * references across files, record validation, lint rules and evolution (breaking-change) rules,
 * templates, and file helpers. Offline only: resolution, pulling and publishing over the network
 * (DNS `_lexicon` TXT → DID → PDS → verified `com.atproto.lexicon.schema` record) are in
 * `network.ts`, so offline commands load none of the network code.
 */
export * from './types.js';
export { formatPath, joinPath, locate, parentPath, parseJsonText } from './json.js';
export type { JsonPosition, LocatedJson, PathSegment } from './json.js';
export { checkRef, expandRef, refTo, splitRef } from './refs.js';
export {
  invalidLexiconError,
  isValidMimePattern,
  loadLexiconDocument,
  parseLexiconDocument,
  parseLexiconText,
} from './parse.js';
export type { FailedLexicon, ParseLexiconOptions, ParseLexiconResult, ParsedLexicon, ParsedLexiconText } from './parse.js';
export { LexiconCatalog } from './catalog.js';
export type { AddOptions, CatalogEntry, ResolvedDef } from './catalog.js';
export { checkStringFormat, graphemeLength, mimeMatches, utf8Length, validateData, validateRecord, validateRecordData, validateRecordJson } from './validate.js';
export type { ValidateOptions } from './validate.js';
export { LINT_RULES, lintLexicon, lintRule, ruleFilter } from './lint.js';
export type { LintOptions, LintRule, RuleSelection } from './lint.js';
export { BREAKING_RULES, breakingChanges, diffLexicons } from './breaking.js';
export type { BreakingRule, LexChange } from './breaking.js';
export { TEMPLATE_KINDS, isTemplateKind, lexiconRelativePath, lexiconTemplate } from './templates.js';
export type { TemplateKind } from './templates.js';
export {
  MAX_LEXICON_FILE_BYTES,
  findLexiconFiles,
  lintLexiconFiles,
  loadLexiconFile,
  loadLexicons,
  readLexiconFile,
  readTextFile,
  writeLexiconFile,
} from './files.js';
export type { FileFinding, JsonSyntaxProblem, LexiconFile, LintFilesOptions, LintReport, LoadDirResult, WriteLexiconOptions, WrittenLexicon } from './files.js';
export { referencedNsids } from './refs.js';
