// The AWS limits the local runner models, so a local run fails where AWS would: payload size per state, history per execution.
import { distributedMapOf } from './definition';
import type { StateInfo } from './definition';

/**
 * A state's input and output, a task's parameters and result are at most 262,144 bytes of UTF-8 JSON ("Step Functions
 * service quotas"; StateEnteredEventDetails and StateExitedEventDetails, Step Functions API Reference). Beyond it the
 * state fails with States.DataLimitExceeded, a terminal error that States.ALL does not catch ("Handling errors in Step
 * Functions workflows"), so the execution fails.
 */
export const PAYLOAD_QUOTA_BYTES = 262_144;

/** "Maximum execution history size: 25,000 events in a single state machine execution history" (Step Functions service quotas). */
export const HISTORY_QUOTA_EVENTS = 25_000;

export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
}

export interface StatePayload {
  readonly state: string;
  readonly direction: 'input' | 'output';
  readonly bytes: number;
}

export class DataLimitExceeded extends Error {
  public override readonly name = 'States.DataLimitExceeded';
  constructor(
    public readonly state: string,
    public readonly direction: 'input' | 'output',
    public readonly bytes: number,
  ) {
    super(`the ${direction} of state ${state} is ${bytes} bytes, over the ${PAYLOAD_QUOTA_BYTES}-byte payload quota`);
  }
}

/** One execution's history as Step Functions would count it. */
export interface ExecutionHistory {
  /** `execution` for the parent; `<Map state>#<index>` for a child execution of a Distributed Map. */
  readonly execution: string;
  readonly events: number;
  readonly transitions: number;
}

/** The local runner's events, reduced to what history counting needs. */
export type HistoryEvent =
  | {
      readonly type:
        'ExecutionStarted' | 'ExecutionSucceeded' | 'ExecutionFailed' | 'ExecutionAborted' | 'ExecutionTimeout';
    }
  | { readonly type: 'ParallelBranchStarted' | 'ParallelBranchSucceeded' | 'ParallelBranchFailed' }
  | {
      readonly type: 'MapIterationStarted' | 'MapIterationSucceeded' | 'MapIterationFailed';
      readonly parentState: { readonly name: string };
      readonly index: number;
    }
  | {
      readonly type: 'StateEntered' | 'StateExited' | 'StateFailed' | 'StateRetried' | 'StateCaught';
      readonly state: { readonly name: string; readonly type: string };
      readonly index?: number;
    };

/**
 * History events each local event stands for, after "Execution history events" (Step Functions API Reference,
 * HistoryEvent): a Task is entered, scheduled, started, succeeded or failed, exited (a retry adds scheduled, started and
 * its result); other states are entered and exited; an inline Map adds an event per iteration start and end, a
 * Distributed Map adds MapRunStarted and MapRunSucceeded in the parent while each iteration is a child execution with its
 * own ExecutionStarted and ExecutionSucceeded.
 */
export class HistoryCounter {
  private readonly histories = new Map<string, { events: number; transitions: number }>();

  constructor(private readonly byName: ReadonlyMap<string, StateInfo>) {}

  public add(event: HistoryEvent): void {
    switch (event.type) {
      case 'ExecutionStarted':
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'ExecutionAborted':
      case 'ExecutionTimeout':
        return this.count('execution', 1);
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        return this.isDistributed(event.parentState.name)
          ? this.count(`${event.parentState.name}#${event.index}`, 1)
          : this.count(this.owner(event.parentState.name, event.index), 1);
      case 'StateEntered': {
        const owner = this.owner(event.state.name, event.index);
        const distributed = this.isDistributed(event.state.name) ? 2 : 0;
        this.count(owner, 1 + (event.state.type === 'Task' ? 3 : 0) + distributed, 1);
        return;
      }
      case 'StateRetried':
        return this.count(this.owner(event.state.name, event.index), 3);
      case 'StateExited':
        return this.count(this.owner(event.state.name, event.index), 1);
      default:
        return undefined;
    }
  }

  public executions(): ExecutionHistory[] {
    return [...this.histories].map(([execution, history]) => ({ execution, ...history }));
  }

  /** The execution with the most history events: the one that meets the 25,000-event quota first. */
  public largest(): ExecutionHistory {
    const all = this.executions();
    return all.reduce((max, next) => (next.events > max.events ? next : max), all[0] ?? emptyHistory);
  }

  private isDistributed(stateName: string): boolean {
    return this.byName.get(stateName)?.mode === 'DISTRIBUTED';
  }

  /** A state inside a Distributed Map belongs to that iteration's child execution; any other to the parent. */
  private owner(stateName: string, index: number | undefined): string {
    const map = distributedMapOf(this.byName, stateName);
    return map && index !== undefined ? `${map}#${index}` : 'execution';
  }

  private count(execution: string, events: number, transitions = 0): void {
    const history = this.histories.get(execution) ?? { events: 0, transitions: 0 };
    history.events += events;
    history.transitions += transitions;
    this.histories.set(execution, history);
  }
}

const emptyHistory: ExecutionHistory = { execution: 'execution', events: 0, transitions: 0 };
