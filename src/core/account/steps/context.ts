/**
 * What every migration step works with: the journal, both hosts' clients (sessions refresh under
 * SessionAuth during long copies), the PLC directory, the caller's callbacks. Steps never print:
 * they report through `event`.
 */
import { AtcliError, authError, runtime } from '../../errors.js';
import type { HttpConfig } from '../../net/http.js';
import type { IdentityConfig } from '../../identity/index.js';
import { PlcDirectoryClient } from '../../plc/directory.js';
import type { OperationData } from '../../plc/index.js';
import { SessionAuth, XrpcClient, login, type SessionData } from '../../xrpc/index.js';
import { saveJournal, type MigrationJournal } from '../journal.js';
import type { MigrationStep } from '../plan.js';
import { sleep } from '../../util/sleep.js';
import { done, type StepHooks, type StepOutcome as GenericStepOutcome } from './runner.js';
export { sleep };

export interface IdentityConfirmation {
  did: string;
  handle: string;
  oldPds: string;
  newPds: string;
  changes: string[];
  planned: OperationData;
  warnings: string[];
}

export type MigrationEvent =
  | { kind: 'step-start'; step: MigrationStep; index: number; total: number; title: string }
  | { kind: 'step-done'; step: MigrationStep; index: number; total: number; note?: string }
  | { kind: 'info'; step: MigrationStep; message: string }
  | { kind: 'warning'; step: MigrationStep; message: string }
  | { kind: 'bytes'; step: MigrationStep; done: number; total: number | null }
  | { kind: 'blobs'; done: number; total: number; bytes: number; failed: number }
  | { kind: 'plc-diff'; changes: string[]; warnings: string[] };

export interface MigrationHooks extends StepHooks<MigrationStep> {
  /** Lets a caller wrap the sessions of both hosts (tests use it to expire access tokens). */
  wrapAuth?(auth: SessionAuth, side: 'old' | 'new'): SessionAuth;
}

export interface MigrationCallbacks {
  /** The new account's password; called only when a step needs it (creating or logging in). */
  newPassword(): Promise<string>;
  /** The e-mailed PLC token; undefined when it cannot be had now (the run stops, state saved). */
  plcToken(info: { oldPds: string; requestedAt?: string }): Promise<string | undefined>;
  /** The severe confirmation of the identity change; false cancels (nothing is signed). */
  confirmIdentity(info: IdentityConfirmation): Promise<boolean>;
  event?(event: MigrationEvent): void;
  hooks?: MigrationHooks;
}

export interface RunSettings {
  http: HttpConfig;
  identity: IdentityConfig;
  dev: boolean;
  journalPath: string;
  inviteCode?: string;
  plcToken?: string;
  blobConcurrency: number;
  signal?: AbortSignal;
}

export class MigrationRun {
  readonly oldPublic: XrpcClient;
  readonly newPublic: XrpcClient;
  readonly plc: PlcDirectoryClient;
  /** The service-auth JWT for createAccount, kept in memory only. */
  serviceAuth: string | undefined;
  /** The PLC token given for this run (cleared when the host refuses it). */
  plcToken: string | undefined;
  tokenRerequested = false;
  readonly newHost: HostSession;
  current: MigrationStep = 'preflight';

  constructor(
    readonly journal: MigrationJournal,
    readonly oldClient: XrpcClient,
    readonly oldAuth: SessionAuth,
    readonly settings: RunSettings,
    readonly callbacks: MigrationCallbacks,
  ) {
    this.oldPublic = new XrpcClient({ service: journal.oldPds, http: settings.http });
    this.newPublic = new XrpcClient({ service: journal.newPds, http: settings.http });
    this.plc = new PlcDirectoryClient({ http: settings.http, plcUrl: settings.identity.plcUrl });
    this.plcToken = settings.plcToken;
    const wrap = callbacks.hooks?.wrapAuth;
    this.newHost = new HostSession(journal.newPds, journal.did, settings.http, () => callbacks.newPassword(), wrap ? (auth) => wrap(auth, 'new') : undefined);
  }

  get did(): string {
    return this.journal.did;
  }

  async save(): Promise<void> {
    await saveJournal(this.settings.journalPath, this.journal);
  }

  info(message: string): void {
    this.callbacks.event?.({ kind: 'info', step: this.current, message });
  }

  warn(message: string): void {
    this.callbacks.event?.({ kind: 'warning', step: this.current, message });
  }

  throwIfAborted(): void {
    if (this.settings.signal?.aborted) throw new AtcliError('interrupted', 'Interrupted', `interrupted during ${this.current}`);
  }

  /** Adopts the session createAccount returned. */
  useNewSession(session: SessionData): void {
    this.newHost.adopt(session);
  }

  hasNewSession(): boolean {
    return this.newHost.has();
  }

  /** The new host's authenticated client: logs in with the DID and the new password when needed. */
  newClient(): Promise<XrpcClient> {
    return this.newHost.client();
  }

  get newAuth(): SessionAuth | undefined {
    return this.newHost.auth;
  }
}

/**
 * The account's session on the host it is being moved to: the session createAccount returned, or
 * a login with the DID and the new password when a later run needs one. Everything is pinned to
 * that host (until the identity moves, the DID document names another one).
 */
export class HostSession {
  private clientValue: XrpcClient | undefined;
  private authValue: SessionAuth | undefined;

  constructor(
    readonly pds: string,
    readonly did: string,
    private readonly http: HttpConfig,
    private readonly password: () => Promise<string>,
    private readonly wrap?: (auth: SessionAuth) => SessionAuth,
  ) {}

  adopt(session: SessionData): void {
    const pinned: SessionData = { ...session, pds: this.pds };
    delete pinned.service;
    let auth = SessionAuth.inMemory(pinned);
    auth = this.wrap?.(auth) ?? auth;
    this.authValue = auth;
    this.clientValue = new XrpcClient({ service: this.pds, http: this.http, auth });
  }

  has(): boolean {
    return this.clientValue !== undefined;
  }

  get auth(): SessionAuth | undefined {
    return this.authValue;
  }

  async client(): Promise<XrpcClient> {
    if (this.clientValue) return this.clientValue;
    const password = await this.password();
    let session: SessionData;
    try {
      session = await login(this.pds, this.did, password, { http: this.http });
    } catch (err) {
      if (err instanceof AtcliError && err.code === 'LoginFailed') {
        throw authError('NewPasswordRejected', `${new URL(this.pds).host} did not accept the password for the new account of ${this.did}`, {
          hint: 'give the password chosen when the run started',
        });
      }
      throw err;
    }
    if (session.did !== this.did) throw runtime('DidMismatch', `logging in to ${new URL(this.pds).host} returned a session for ${session.did}`);
    this.adopt(session);
    return this.clientValue!;
  }
}

/** What a migration step asks the runner to do next. */
export type StepOutcome = GenericStepOutcome<MigrationStep>;
export { done };

/** Runs `fn` over `items` with at most `limit` at once. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    for (;;) {
      if (signal?.aborted) return;
      const i = next++;
      if (i >= items.length) return;
      await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  if (signal?.aborted) throw new AtcliError('interrupted', 'Interrupted', 'interrupted');
}


/** Normalised origin of a URL (scheme://host[:port]). */
export function origin(url: string): string {
  return new URL(url).origin;
}
