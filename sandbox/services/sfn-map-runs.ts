// Step Functions Map Runs in the sandbox: a Distributed Map's children keep their states out of the parent's history, which
// shows MapRunStarted / MapRunSucceeded instead, and DescribeMapRun counts the items as they run.
import type { DescribeMapRunCommandInput, DescribeMapRunCommandOutput } from '@aws-sdk/client-sfn';
import { v4 as uuidv4 } from 'uuid';
import { distributedMapOf } from '../../statemachines/definition';
import type { StateInfo } from '../../statemachines/definition';
import type { ProgressEvent } from '../../statemachines/runner';
import { awsError } from '../errors';
import type { CallContext, Sandbox } from '../sandbox';
import type { ExecutionState } from '../scenario';

interface MapRun {
  readonly mapRunArn: string;
  readonly executionArn: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  readonly startDate: string;
  stopDate?: string;
  readonly total: number;
  readonly running: Set<number>;
  readonly succeeded: Set<number>;
  readonly failed: Set<number>;
}

type Append = (type: string, details: Record<string, unknown>) => void;

const mapRuns = new WeakMap<Sandbox, Map<string, MapRun>>();

/**
 * Follows one execution's Distributed Maps. Each child execution's states belong to its own history ("Distributed Map
 * state", Step Functions Developer Guide), so `owns` tells the caller not to write them into the parent's; the parent records
 * the Map Run instead.
 */
export class MapRunTracker {
  private readonly active = new Map<string, MapRun>();

  public constructor(
    private readonly sandbox: Sandbox,
    private readonly execution: ExecutionState,
    private readonly byName: ReadonlyMap<string, StateInfo>,
  ) {}

  /** Whether the event is a child execution's (a state inside a Distributed Map, or one of its iterations). */
  public owns(event: ProgressEvent): boolean {
    if (!event.state) return false;
    const info = this.byName.get(event.state);
    if (event.kind.startsWith('iteration-')) return info?.mode === 'DISTRIBUTED';
    return distributedMapOf(this.byName, event.state) !== undefined;
  }

  /** Counts a child's progress (iteration events); its own states are left to its history, which the sandbox does not keep. */
  public child(event: ProgressEvent): void {
    const run = event.state ? this.active.get(event.state) : undefined;
    if (!run || event.targetIndex === undefined) return;
    if (event.kind === 'iteration-started') run.running.add(event.targetIndex);
    if (event.kind === 'iteration-succeeded' || event.kind === 'iteration-failed') {
      run.running.delete(event.targetIndex);
      (event.kind === 'iteration-succeeded' ? run.succeeded : run.failed).add(event.targetIndex);
    }
  }

  /** After a Distributed Map's MapStateEntered: its Map Run starts. */
  public entered(event: ProgressEvent, append: Append): void {
    const info = event.state ? this.byName.get(event.state) : undefined;
    if (info?.mode !== 'DISTRIBUTED') return;
    const [, , , region, account, , machine] = this.execution.stateMachineArn.split(':');
    const mapRunArn = `arn:aws:states:${region}:${account}:mapRun:${machine}/${info.label ?? info.name}:${uuidv4()}`;
    const run: MapRun = {
      mapRunArn,
      executionArn: this.execution.executionArn,
      status: 'RUNNING',
      startDate: new Date().toISOString(),
      total: event.items ?? 0,
      running: new Set(),
      succeeded: new Set(),
      failed: new Set(),
    };
    this.active.set(info.name, run);
    const all = mapRuns.get(this.sandbox) ?? new Map<string, MapRun>();
    mapRuns.set(this.sandbox, all);
    all.set(mapRunArn, run);
    append('MapRunStarted', { mapRunStartedEventDetails: { mapRunArn } });
  }

  /** Before a Distributed Map's MapStateExited (or when it failed): its Map Run ends. */
  public ended(event: ProgressEvent, append: Append): void {
    const run = event.state ? this.active.get(event.state) : undefined;
    if (!run) return;
    this.active.delete(event.state as string);
    for (const index of run.running) run.failed.add(index);
    run.running.clear();
    run.stopDate = new Date().toISOString();
    run.status = event.kind === 'finished' ? 'SUCCEEDED' : 'FAILED';
    if (run.status === 'SUCCEEDED') append('MapRunSucceeded', {});
    else append('MapRunFailed', { mapRunFailedEventDetails: { error: 'States.ExceedToleratedFailureThreshold' } });
  }
}

/** "DescribeMapRun" (API Reference): the Map Run's status and its items counted by state. */
export function describeMapRun(
  ctx: CallContext,
  input: DescribeMapRunCommandInput,
): Partial<DescribeMapRunCommandOutput> {
  const run = mapRuns.get(ctx.sandbox)?.get(input.mapRunArn ?? '');
  if (!run || !run.mapRunArn.includes(`:${ctx.caller.accountId}:`))
    throw awsError('ResourceNotFound', `Map Run Does Not Exist: '${input.mapRunArn ?? ''}'`);
  const counts = {
    pending: Math.max(0, run.total - run.running.size - run.succeeded.size - run.failed.size),
    running: run.running.size,
    succeeded: run.succeeded.size,
    failed: run.failed.size,
    timedOut: 0,
    aborted: 0,
    total: run.total,
    resultsWritten: 0,
  };
  return {
    mapRunArn: run.mapRunArn,
    executionArn: run.executionArn,
    status: run.status,
    startDate: new Date(run.startDate),
    stopDate: run.stopDate ? new Date(run.stopDate) : undefined,
    itemCounts: counts,
    executionCounts: counts,
  };
}
