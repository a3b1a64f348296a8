import { describe, expect, it } from 'vitest';
import {
  checkAtIdentifier,
  checkAtUri,
  checkCidString,
  checkDatetime,
  checkDid,
  checkHandle,
  checkLanguage,
  checkLanguageStrict,
  checkNsid,
  checkRecordKey,
  checkTid,
  checkUri,
} from '../../../src/core/syntax/index.js';
import { readVectors } from './vectors.js';

type Check = (s: string) => string | null;

const SUITES: Array<{ prefix: string; check: Check; valid: string[]; invalid: string[] }> = [
  { prefix: 'handle', check: checkHandle, valid: ['handle_syntax_valid.txt'], invalid: ['handle_syntax_invalid.txt'] },
  { prefix: 'did', check: checkDid, valid: ['did_syntax_valid.txt'], invalid: ['did_syntax_invalid.txt'] },
  { prefix: 'nsid', check: checkNsid, valid: ['nsid_syntax_valid.txt'], invalid: ['nsid_syntax_invalid.txt'] },
  { prefix: 'at-uri', check: checkAtUri, valid: ['aturi_syntax_valid.txt'], invalid: ['aturi_syntax_invalid.txt'] },
  {
    prefix: 'at-identifier',
    check: checkAtIdentifier,
    valid: ['atidentifier_syntax_valid.txt'],
    invalid: ['atidentifier_syntax_invalid.txt'],
  },
  {
    prefix: 'record key',
    check: checkRecordKey,
    valid: ['recordkey_syntax_valid.txt'],
    invalid: ['recordkey_syntax_invalid.txt'],
  },
  { prefix: 'tid', check: checkTid, valid: ['tid_syntax_valid.txt'], invalid: ['tid_syntax_invalid.txt'] },
  { prefix: 'cid', check: checkCidString, valid: ['cid_syntax_valid.txt'], invalid: ['cid_syntax_invalid.txt'] },
  {
    prefix: 'datetime',
    check: checkDatetime,
    valid: ['datetime_syntax_valid.txt'],
    // parse_invalid: well-formed strings that are not real instants; checkDatetime rejects them too.
    invalid: ['datetime_syntax_invalid.txt', 'datetime_parse_invalid.txt'],
  },
  {
    prefix: 'language (well-formed)',
    check: checkLanguage,
    // parse_invalid's header: these are well-formed BCP 47, only not "valid" (repeated subtags).
    valid: ['language_syntax_valid.txt', 'language_parse_invalid.txt'],
    invalid: ['language_syntax_invalid.txt'],
  },
  {
    prefix: 'language (strict)',
    check: checkLanguageStrict,
    valid: ['language_syntax_valid.txt'],
    invalid: ['language_syntax_invalid.txt', 'language_parse_invalid.txt'],
  },
  { prefix: 'uri', check: checkUri, valid: ['uri_syntax_valid.txt'], invalid: ['uri_syntax_invalid.txt'] },
];

for (const suite of SUITES) {
  describe(`${suite.prefix} interop vectors`, () => {
    for (const file of suite.valid) {
      it.each(readVectors(file))('accepts $name', ({ value }) => {
        expect(suite.check(value)).toBeNull();
      });
    }
    for (const file of suite.invalid) {
      it.each(readVectors(file))('rejects $name', ({ value }) => {
        const reason = suite.check(value);
        expect(typeof reason).toBe('string');
        expect((reason as string).length).toBeGreaterThan(0);
      });
    }
  });
}
