/**
 * Starting points for `lex new`: one per primary type, each lint-clean (no findings at all)
 * for a well-named NSID, following the style guide (descriptions, bounded strings, an output
 * for every endpoint, pagination and sequencing conventions).
 */
import { usage } from '../errors.js';
import { parseNsid } from '../syntax/index.js';
import type { LexiconDocument, LexUserType } from './types.js';

export const TEMPLATE_KINDS = ['record', 'query', 'procedure', 'subscription', 'permission-set'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

export function isTemplateKind(s: string): s is TemplateKind {
  return (TEMPLATE_KINDS as readonly string[]).includes(s);
}

/** A new Lexicon document of `kind` for `nsid`. Throws usage 'InvalidNsid' for a bad NSID. */
export function lexiconTemplate(kind: TemplateKind, nsid: string): LexiconDocument {
  const { segments } = parseNsid(nsid);
  if (!isTemplateKind(kind)) {
    throw usage('UnknownLexiconType', `unknown Lexicon type "${String(kind)}"`, { hint: `types: ${TEMPLATE_KINDS.join(', ')}` });
  }
  const group = segments.slice(0, -1).join('.');
  const defs: Record<string, LexUserType> = {};
  switch (kind) {
    case 'record':
      defs.main = {
        type: 'record',
        description: 'TODO: what one record of this type represents.',
        key: 'tid',
        record: {
          type: 'object',
          required: ['createdAt'],
          properties: {
            createdAt: { type: 'string', format: 'datetime', description: 'Client-declared timestamp when this record was originally created.' },
          },
        },
      };
      break;
    case 'query':
      defs.main = {
        type: 'query',
        description: 'TODO: what this query returns. Say whether authentication is required.',
        parameters: {
          type: 'params',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 50, description: 'Maximum number of items to return.' },
            cursor: { type: 'string', maxLength: 512, description: 'Pagination cursor from a previous response.' },
          },
        },
        output: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['items'],
            properties: {
              cursor: { type: 'string', maxLength: 512, description: 'Pass to the next request to continue; absent when there are no more items.' },
              items: { type: 'array', items: { type: 'ref', ref: '#item' }, description: 'The items found.' },
            },
          },
        },
      };
      defs.item = {
        type: 'object',
        description: 'One item of the response.',
        required: ['name'],
        properties: {
          name: { type: 'string', maxGraphemes: 64, maxLength: 640, description: 'TODO: replace with the fields of an item.' },
        },
      };
      break;
    case 'procedure':
      defs.main = {
        type: 'procedure',
        description: 'TODO: what this procedure does. Say whether authentication is required.',
        input: {
          encoding: 'application/json',
          schema: {
            type: 'object',
            required: ['name'],
            properties: {
              name: { type: 'string', maxGraphemes: 64, maxLength: 640, description: 'TODO: replace with the input fields.' },
            },
          },
        },
        output: {
          encoding: 'application/json',
          schema: { type: 'object', properties: {} },
        },
        errors: [{ name: 'TodoError', description: 'TODO: when this error is returned.' }],
      };
      break;
    case 'subscription':
      defs.main = {
        type: 'subscription',
        description: 'TODO: what events this stream carries.',
        parameters: {
          type: 'params',
          properties: {
            cursor: { type: 'integer', minimum: 0, description: 'Sequence number to start from; omit to start with new events.' },
          },
        },
        message: { schema: { type: 'union', refs: ['#event', '#info'] } },
        errors: [{ name: 'FutureCursor', description: 'The cursor is ahead of the current sequence number.' }],
      };
      defs.event = {
        type: 'object',
        description: 'TODO: one event.',
        required: ['seq', 'time'],
        properties: {
          seq: { type: 'integer', description: 'Sequence number of this event (increasing, with possible gaps).' },
          time: { type: 'string', format: 'datetime', description: 'When the event happened.' },
        },
      };
      defs.info = {
        type: 'object',
        description: 'Informational message about the stream.',
        required: ['name'],
        properties: {
          name: { type: 'string', knownValues: ['outdated-cursor'], maxLength: 128, description: 'What happened.' },
          message: { type: 'string', maxLength: 1024, description: 'Human-readable detail.' },
        },
      };
      break;
    case 'permission-set':
      defs.main = {
        type: 'permission-set',
        title: 'TODO: a short name shown to users',
        detail: 'TODO: one paragraph telling users what this grants.',
        permissions: [
          { type: 'permission', resource: 'repo', collection: [`${group}.record`], action: ['create', 'update', 'delete'] },
          { type: 'permission', resource: 'rpc', lxm: [`${group}.getItems`], inheritAud: true },
        ],
      };
      break;
  }
  return { lexicon: 1, id: nsid, defs };
}

/** Relative path of the file for `nsid` under a lexicons folder: `a/b/c.json`. */
export function lexiconRelativePath(nsid: string): string {
  return `${nsid.split('.').join('/')}.json`;
}
