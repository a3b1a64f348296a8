import type { AtcliError } from '../../core/errors.js';
import type { Hint, HintTable } from './index.js';

/** The DID an error is about: from its details, else the first did:plc its message names. */
function didOf(err: AtcliError): string {
  const did = err.details?.did;
  if (typeof did === 'string') return did;
  return /did:plc:[a-z2-7]{24}/.exec(err.message)?.[0] ?? '<did>';
}

/** A hint only for the plc commands (the same codes mean other things elsewhere). */
function plc(hint: Hint): Hint {
  return (err, path) => (path.startsWith('plc ') ? (typeof hint === 'function' ? hint(err, path) : hint) : undefined);
}

const rebuild = plc((e) => `build the operation again on the current state: atcli plc update ${didOf(e)} …`);

/** Hints for the errors of `atcli plc …` and of the PLC directory client. */
export const PLC_HINTS: HintTable = {
  AuditLogInvalid: plc((e, path) => {
    const anyway = path === 'plc sign' ? '; --skip-authority-check signs anyway' : path === 'plc submit' ? '; --allow-invalid-log submits anyway' : '';
    return `see every problem with: atcli plc verify ${didOf(e)}${anyway}`;
  }),
  DidExists: plc((e) => `see it with: atcli plc history ${didOf(e)}`),
  DidNotFound: (e) => (e.details?.deactivated === true ? `its history is still available: atcli plc history ${didOf(e)}` : undefined),
  InvalidPrev: rebuild,
  StalePrev: rebuild,
  InvalidSignature: plc((_e, path) =>
    path === 'plc calc-did' ? 'sign it with one of its own rotation keys: atcli plc sign <file> --key-file <key>' : 'sign it with a rotation key of its prev: atcli plc sign <file> --key-file <key>',
  ),
  UnauthorizedKey: plc('use one of the allowed rotation keys (--skip-authority-check signs anyway; the directory will refuse it)'),
  Lockout: plc('keep one of your rotation keys in the operation; if you hold one of the new keys, give it with --key-file (or ATCLI_PLC_SIGNING_KEY); --allow-losing-keys submits anyway'),
  Tombstone: plc('pass --allow-tombstone to deactivate the DID (only a recovery within 72 hours can undo it)'),
  PlcDeactivated: plc((e) => `only a recovery within 72 hours can undo a tombstone: atcli plc update ${didOf(e)} --prev <the CID before it> …`),
  NothingToChange: plc((e) => `give at least one of --handle, --pds, --signing-key, --add-rotation-key, --remove-rotation-key; the current state: atcli plc data ${didOf(e)}`),
  MissingDid: plc((_e, path) =>
    path === 'plc verify'
      ? 'pass it with --did <did>'
      : path === 'plc sign'
        ? 'give it with --did <did>, or sign the file plc update wrote (it names its DID); --skip-authority-check signs without the check'
        : 'give it with --did <did>, or submit the file plc sign wrote (it names its DID)',
  ),
  OperationDidMismatch: plc('the file names its DID; drop --did or use the file for that DID'),
  InvalidOperationFile: plc('give an operation, or {"did", "operation"} as plc update writes it'),
  NotAnOperation: plc('keys are read with --key-file; the argument is the operation'),
  SubmitNotConfirmed: plc((e) => `check with: atcli plc history ${didOf(e)}`),
  PlcOperationRejected: plc('nothing was changed; check the operation first with: atcli plc submit --dry-run <file>'),
  InvalidPlcResponse: (e) => (e.hint !== undefined ? 'check the --plc URL (or ATCLI_PLC_URL): it must point at a PLC directory' : undefined),
  PlcRedirect: "give the directory's final URL with --plc",
  PlcDirectoryError: (e) => (typeof e.details?.status === 'number' && e.details.status < 500 ? 'check the --plc URL (or ATCLI_PLC_URL) and the DID' : undefined),
  InvalidWatchState: plc('move the --state file away: the next check reports every operation still in its recovery window'),
  RecoveryWindowClosed: plc('the 72-hour window is over: the operation can no longer be nullified'),
  InsufficientPriority: plc('sign with a rotation key listed before the one that signed the unwanted operation (--key-file)'),
  KeyNotAuthorized: plc('give --key-file with the private key of one of the rotation keys in force before that operation'),
  OperationNotFound: plc((e) => `list the operations and their CIDs with: atcli plc history ${didOf(e)}`),
};
