// Human progress for a running case: one line per phase change and per finished step, with the target it ran for.
import type { ProgressEvent } from '../../statemachines/runner';
import type { CliIo } from '../io';

/** Polling plumbing: the loop's start and its outcome are shown, not every poll. */
const QUIET_STATES =
  /^(Wait|Track|Check|.*Done$|IsolateBeforeCapture$|IsolateAfterCapture$|Workstation(Started|Ready|Cleaned|Examined|Done)$|ExaminationDone$)/;

export function renderProgress(io: CliIo): (event: ProgressEvent) => void {
  let phase = '';
  const started = new Map<string, number>();
  const failed = new Set<string>();
  return (event) => {
    if (event.phase !== phase && event.kind === 'started') {
      phase = event.phase;
      io.out(`== ${phase}`);
    }
    if (!event.state || QUIET_STATES.test(event.state)) return;
    const key = `${event.state}#${event.targetIndex ?? ''}`;
    const where = event.targetIndex === undefined ? '' : ` [target ${event.targetIndex + 1}]`;
    if (event.kind === 'started') started.set(key, event.at);
    // A state whose failure its Catch handled also exits: its failure line is the news, not an "ok".
    if (event.kind === 'failed') failed.add(key);
    if (event.kind === 'finished' && failed.delete(key)) return;
    if (event.kind === 'finished') {
      const ms = event.at - (started.get(key) ?? event.at);
      io.out(`   ok      ${event.state}${where} (${ms} ms)`);
    }
    if (event.kind === 'retried') io.out(`   retry   ${event.state}${where}`);
    if (event.kind === 'failed') io.out(`   failed  ${event.state}${where}: ${event.error ?? ''}`.slice(0, 400));
  };
}
