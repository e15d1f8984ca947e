// Named errors shared by every task: their `name` is the errorType Step Functions matches in the ASL's Retry/Catch.

/** Base of every error Custody raises on purpose; `name` is stable and is what the state machine matches. */
export class CustodyError extends Error {
  public readonly details: Readonly<Record<string, unknown>>;

  public constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CustodyError';
    this.details = details;
  }
}

/** Input that fails validation (a malformed event, bad ids, an unknown mode): nothing was touched. */
export class InvalidInputError extends CustodyError {
  public constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'InvalidInputError';
  }
}

/** A well-formed event that Custody does not act on (a finding with no EC2 instance, an unknown event type). */
export class UnsupportedEventError extends CustodyError {
  public constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'UnsupportedEventError';
  }
}

/** The target's region has no forensics account configured: evidence never leaves its region, so the case is refused. */
export class RegionNotConfiguredError extends CustodyError {
  public constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'RegionNotConfiguredError';
  }
}

/** The instance named by the case does not exist (or no longer exists) in its account and region. */
export class TargetNotFoundError extends CustodyError {
  public constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'TargetNotFoundError';
  }
}

/** A transient failure worth retrying (throttling, 5xx): the ASL retries it with backoff and jitter. */
export class TransientError extends CustodyError {
  public constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'TransientError';
  }
}

/** Writing evidence failed in a way that must not be retried blindly (key exists, checksum mismatch). */
export class EvidenceWriteError extends CustodyError {
  public constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'EvidenceWriteError';
  }
}

/** The custody log could not be appended to (contention beyond the retry budget) or its head entry does not match its hash. */
export class CustodyLogError extends CustodyError {
  public constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'CustodyLogError';
  }
}

/** AWS error names that mean "try again later"; the ASL lists the same names in its Retry blocks. */
export const TRANSIENT_AWS_ERRORS: readonly string[] = [
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'RequestTimeout',
];

/** The name AWS (or we) gave an error, for records and for matching. */
export function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return 'UnknownError';
}

/** A one-line reason for a gap or a CLI message. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** The evidence key already exists: evidence is write-once, so nothing was overwritten. */
export class ObjectExistsError extends EvidenceWriteError {
  public constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'ObjectExistsError';
  }
}

/** The case is already open (the same finding delivered again): the second execution stops without collecting twice. */
export class CaseAlreadyOpenError extends CustodyError {
  public constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'CaseAlreadyOpenError';
  }
}

/** Release was asked for a case whose custody log holds no entries (unknown case id, or the wrong region). */
export class CaseNotFoundError extends CustodyError {
  public constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'CaseNotFoundError';
  }
}

/** Release refused: the instance no longer looks the way containment left it, so restoring the recorded state could undo someone else's change. */
export class IsolationChangedError extends CustodyError {
  public constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'IsolationChangedError';
  }
}

/** The case asked for a workstation examination but the region has no workstation configured (docs/workstation.md). */
export class WorkstationNotConfiguredError extends CustodyError {
  public constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'WorkstationNotConfiguredError';
  }
}

/** A resume was asked for a case that is already sealed (manifest.json exists): a sealed log is never extended. */
export class CaseSealedError extends CustodyError {
  public constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'CaseSealedError';
  }
}

/** A resume names a case whose recorded case.json differs from it (another case id, other targets, another mode). */
export class CaseMismatchError extends CustodyError {
  public constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'CaseMismatchError';
  }
}

/** `custody start --resume` refused: the case's last execution is still running, or there is nothing to resume. */
export class ResumeRefusedError extends CustodyError {
  public constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, details, options);
    this.name = 'ResumeRefusedError';
  }
}
