// Fixtures for the workstation tests: the workstation scenario, a collected target (snapshot copies + memory), and the examine loop.
import { loadScenario } from '../../sandbox/scenario';
import type { Scenario } from '../../sandbox/scenario';
import { SANDBOX_TOOLS, stageCaptureTools, toolSha256 } from '../../sandbox/ssm-agent';
import { captureMemory } from '../../tasks/capture-memory';
import { checkCommand } from '../../tasks/check-command';
import { checkExamination } from '../../tasks/check-examination';
import { checkSnapshotCopies } from '../../tasks/check-snapshot-copies';
import { checkSnapshots } from '../../tasks/check-snapshots';
import { cleanupWorkstation } from '../../tasks/cleanup-workstation';
import type { CleanupWorkstationOutput } from '../../tasks/cleanup-workstation';
import { copySnapshots } from '../../tasks/copy-snapshots';
import { attachEvidenceVolumes } from '../../tasks/attach-evidence-volumes';
import type { Case, Mode } from '../../tasks/lib/case';
import type { WorkstationState } from '../../tasks/lib/workstation';
import { runExamination } from '../../tasks/run-examination';
import { snapshotVolumes } from '../../tasks/snapshot-volumes';
import { startWorkstation } from '../../tasks/start-workstation';
import { makeTestContext } from '../helpers/deps';
import type { TestContext } from '../helpers/deps';
import { EVIDENCE_BUCKET, LINUX, factsFor, makeCase } from '../helpers/disk-and-memory';

export function workstationScenario(edit?: (scenario: Scenario) => void): Scenario {
  const scenario = loadScenario('workstation');
  // A small memory image keeps the test quick; the story in it is the same.
  for (const instance of scenario.accounts[1].regions['eu-west-1'].instances) instance.memoryMiB = 8;
  edit?.(scenario);
  return scenario;
}

export function workstationCase(mode: Mode = 'collect'): Case {
  const kase = makeCase(mode, [LINUX]);
  return { ...kase, options: { ...kase.options, examine: { workstation: true } } };
}

/** The Collect phase's snapshot and memory steps for the Linux web server, as the ASL runs them. */
export async function collected(scenario: Scenario, kase: Case): Promise<TestContext> {
  const ctx = makeTestContext(scenario);
  await stageCaptureTools(ctx.env.sandbox, EVIDENCE_BUCKET);
  const target = LINUX;
  const instance = factsFor(ctx.env.sandbox, target);
  let snaps = await snapshotVolumes({ case: kase, target, instance, timeoutMinutes: 60 }, ctx.deps);
  for (let i = 0; !snaps.done && i < 5; i += 1)
    snaps = {
      ...snaps,
      ...(await checkSnapshots({ case: kase, target, snapshots: snaps.snapshots, deadline: snaps.deadline }, ctx.deps)),
    };
  let copies = await copySnapshots({ case: kase, target, snapshots: snaps.snapshots, timeoutMinutes: 60 }, ctx.deps);
  for (let i = 0; !copies.done && i < 5; i += 1)
    copies = await checkSnapshotCopies(
      { case: kase, target, copies: copies.copies, deadline: copies.deadline },
      ctx.deps,
    );
  const tools = {
    linux: { key: SANDBOX_TOOLS.linux.key, sha256: toolSha256('linux'), name: 'avml', version: '0.14.0' },
  };
  const sent = await captureMemory({ case: kase, target, instance, tools }, ctx.deps);
  if (sent.command) await checkCommand({ case: kase, target, command: sent.command }, ctx.deps);
  return ctx;
}

export interface ExamineRun {
  readonly states: WorkstationState[];
  readonly final: WorkstationState;
  readonly cleanup: CleanupWorkstationOutput;
  /** What a state threw (the ASL would Catch it and go on to CleanupWorkstation). */
  readonly failure?: unknown;
}

/** The examine loop as the ASL runs it: Start → Attach (Wait loop) → Run → Check (Wait loop) → Cleanup on every path. */
export async function examine(ctx: TestContext, kase: Case): Promise<ExamineRun> {
  const target = LINUX;
  const states: WorkstationState[] = [];
  let state = await startWorkstation({ case: kase, target, timeoutMinutes: 60 }, ctx.deps);
  states.push(state);
  let failure: unknown;
  try {
    for (let i = 0; !state.skipped && !state.ready && !state.done && i < 5; i += 1) {
      state = await attachEvidenceVolumes({ case: kase, target, workstation: state }, ctx.deps);
      states.push(state);
    }
    if (state.ready) state = await runExamination({ case: kase, target, workstation: state }, ctx.deps);
    for (let i = 0; !state.done && i < 5; i += 1)
      state = await checkExamination({ case: kase, target, workstation: state }, ctx.deps);
    states.push(state);
  } catch (error) {
    failure = error;
  }
  // The ASL's Catch on every examine state leads here too.
  let cleanup = await cleanupWorkstation({ case: kase, target, workstation: state }, ctx.deps);
  for (let i = 0; !cleanup.cleaned && i < 5; i += 1)
    cleanup = await cleanupWorkstation({ case: kase, target, workstation: state }, ctx.deps);
  return { states, final: state, cleanup, failure };
}
