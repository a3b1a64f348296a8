// What record create and put share: the record body from a file or stdin, checked before anything
// is sent, and the note when the PDS stored it under another CID.
import { usage } from '../../../core/errors.js';
import type { RecordBody } from '../../../core/repo/records.js';
import { readSmallInput } from '../../inputs.js';
import type { IO } from '../../io.js';
import type { StderrWriter } from '../../render/stderr.js';
import { opt } from '../../flags.js';

export const validateOption = opt.negatable('--no-validate', 'ask the PDS not to validate the record against its Lexicon');

/** The `validate` field of a write: false when --no-validate is given, else left to the PDS. */
export function validateField(validate: boolean): { validate?: false } {
  return validate ? {} : { validate: false };
}

/** Reads and checks the body ("-" or none: stdin); problems are usage errors. */
export async function readRecordBody(io: IO, err: StderrWriter, file: string | undefined, collection: string): Promise<RecordBody> {
  const path = file ?? '-';
  if (path === '-' && io.stdinIsTTY) {
    throw usage('InputRequired', 'no record body: give a JSON file, or pipe the record into stdin', { hint: `atcli record create ${collection} record.json` });
  }
  const { MAX_RECORD_JSON_BYTES, parseRecordBody } = await import('../../../core/repo/records.js');
  const text = await readSmallInput(io, path, MAX_RECORD_JSON_BYTES, 'record body');
  const body = parseRecordBody(text, collection, path === '-' ? 'record from stdin' : path);
  err.debug(`record body: ${body.cid.toString()}`);
  return body;
}

export function warnIfReencoded(err: StderrWriter, body: RecordBody, cid: string): void {
  if (cid !== body.cid.toString()) err.warn(`the PDS stored the record as ${cid}, not ${body.cid.toString()} (it changed the record's encoding or content)`);
}
