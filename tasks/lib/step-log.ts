// A task's record of what it did per step: actions with a status, gaps with reasons, custody entries, and dry-run verdicts.
import type { Gap } from './case';
import { TRANSIENT_AWS_ERRORS, errorMessage, errorName } from './errors';
import type { CaseStore, CustodyEvent } from './task';

export type ActionStatus = 'done' | 'already' | 'skipped' | 'would-do' | 'allowed' | 'denied' | 'failed';

export interface StepAction {
  readonly step: string;
  readonly status: ActionStatus;
  /** The instance, volume or other resource the step acted on. */
  readonly resource: string;
  readonly detail: string;
}

/** One change a task may make, with how to send it (for real or as an EC2 DryRun) and the custody entry it leaves. */
export interface Change {
  readonly step: string;
  readonly resource: string;
  /** The change is already in place: nothing is sent in collect mode, and that is recorded. */
  readonly already: boolean;
  readonly send: (dryRun: boolean) => Promise<unknown>;
  readonly event: { readonly action: string; readonly details: Readonly<Record<string, unknown>> };
}

/** Errors worth retrying the whole task for: the changes are idempotent, so a rerun finds them "already" done. */
export function isTransient(error: unknown): boolean {
  return TRANSIENT_AWS_ERRORS.includes(errorName(error));
}

export class StepLog {
  public readonly actions: StepAction[] = [];
  public readonly gaps: Gap[] = [];

  public constructor(
    private readonly store: CaseStore,
    private readonly label: string,
    private readonly target: string,
    public readonly dryRun: boolean,
  ) {}

  public add(action: StepAction): void {
    this.actions.push(action);
  }

  public gap(step: string, reason: string, error?: unknown): void {
    this.gaps.push({ target: this.label, step, reason, ...(error === undefined ? {} : { error: errorName(error) }) });
  }

  /** A read whose failure leaves a gap but lets the other steps run; throttling still fails the task so the ASL retries it. */
  public async read<T>(step: string, run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      if (isTransient(error)) throw error;
      this.fail(step, this.target, error);
      return undefined;
    }
  }

  /** Collect mode: makes the change (or notes it was already so) and records it; dry run: only checks the permission. */
  public async change(change: Change): Promise<void> {
    if (this.dryRun) {
      await this.check(change.step, change.resource, change.send, change.already ? 'already in place; ' : '');
      return;
    }
    const base = { step: change.step, resource: change.resource };
    if (change.already) {
      this.add({ ...base, status: 'already', detail: 'already in place' });
      await this.record({
        action: change.event.action,
        target: change.resource,
        details: { ...change.event.details, alreadyInPlace: true },
      });
      return;
    }
    try {
      await change.send(false);
    } catch (error) {
      if (isTransient(error)) throw error;
      this.fail(change.step, change.resource, error);
      await this.record({
        action: 'step.failed',
        target: change.resource,
        details: { step: change.step, error: errorName(error), reason: errorMessage(error) },
      });
      return;
    }
    this.add({ ...base, status: 'done', detail: 'changed' });
    await this.record({ action: change.event.action, target: change.resource, details: change.event.details });
  }

  /**
   * Sends an EC2 call with DryRun: DryRunOperation means it would be allowed, UnauthorizedOperation that it would be denied
   * ("DryRun" in the EC2 API reference's common parameters). Either way the verdict goes into the custody log.
   */
  public async check(
    step: string,
    resource: string,
    send: (dryRun: boolean) => Promise<unknown>,
    note = '',
  ): Promise<void> {
    let verdict: 'allowed' | 'denied' | 'failed';
    let detail: string;
    try {
      await send(true);
      verdict = 'failed';
      detail = 'the call succeeded although DryRun was set';
    } catch (error) {
      const name = errorName(error);
      if (name !== 'DryRunOperation' && isTransient(error)) throw error;
      verdict = name === 'DryRunOperation' ? 'allowed' : name === 'UnauthorizedOperation' ? 'denied' : 'failed';
      detail = verdict === 'allowed' ? 'would be allowed' : errorMessage(error);
      if (verdict !== 'allowed')
        this.gap(step, `dry run: ${step} on ${resource} would not succeed: ${errorMessage(error)}`, error);
    }
    this.add({ step, status: verdict, resource, detail: `${note}${detail}` });
    await this.record({ action: 'dryrun.checked', target: resource, details: { step, verdict } });
  }

  /** Runs an evidence step; any failure, including throttling once the SDK gave up, becomes a gap rather than lost work. */
  public async attempt(step: string, resource: string, run: () => Promise<string>): Promise<void> {
    try {
      this.add({ step, status: 'done', resource, detail: await run() });
    } catch (error) {
      this.fail(step, resource, error);
    }
  }

  private fail(step: string, resource: string, error: unknown): void {
    const denied = errorName(error) === 'UnauthorizedOperation' || /AccessDenied/.test(errorName(error));
    this.add({ step, status: denied ? 'denied' : 'failed', resource, detail: errorMessage(error) });
    this.gap(step, `${step} on ${resource} ${denied ? 'was denied' : 'failed'}: ${errorMessage(error)}`, error);
  }

  private async record(event: CustodyEvent): Promise<void> {
    await this.store.record(event);
  }
}
