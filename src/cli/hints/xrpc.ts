import type { HintTable } from './index.js';

/** Hints for raw XRPC calls and server answers any command can meet. */
export const XRPC_HINTS: HintTable = {
  AuthRequired: 'log in with "atcli account login" (again, if you were); "atcli xrpc … @pds" sends the stored login',
  AuthMissing: 'log in with "atcli account login"; "atcli xrpc … @pds" sends the stored login',
};
