// Which phase (triage, collect, examine, analyze, report) each state of the collect-evidence machine belongs to, for progress displays.
import { COLLECT_EVIDENCE, listStates, readDefinitionText } from './definition';
import type { StateInfo } from './definition';

export type Phase = 'triage' | 'collect' | 'examine' | 'analyze' | 'report';

export const PHASES: readonly Phase[] = ['triage', 'collect', 'examine', 'analyze', 'report'];

const PHASE_OF_STATE: Readonly<Record<string, Phase>> = {
  Triage: 'triage',
  Rejected: 'triage',
  OpenCase: 'triage',
  AlreadyOpen: 'triage',
  CaseNotOpened: 'triage',
  ResumeRefused: 'triage',
  NotifyStarted: 'triage',
  CollectTargets: 'collect',
  WorkstationWanted: 'examine',
  WorkstationAskedFor: 'examine',
  NoWorkstation: 'examine',
  ExamineOnWorkstation: 'examine',
  ExamineEvidence: 'examine',
  AnalyzeCase: 'analyze',
};

/** The phase of a state: a nested state belongs to its outermost Map's phase; unknown states count as reporting. */
export function phaseOf(info: StateInfo | undefined): Phase {
  if (!info) return 'report';
  const outermost = info.parents[0] ?? info.name;
  return PHASE_OF_STATE[outermost] ?? 'report';
}

/** A lookup from state name to phase for one ASL file (state names are unique across the machine, nested ones included). */
export function phaseLookup(definitionName: string = COLLECT_EVIDENCE): (stateName: string) => Phase {
  const byName = new Map(
    listStates(JSON.parse(readDefinitionText(definitionName)) as unknown).map((state) => [state.name, state]),
  );
  return (stateName) => phaseOf(byName.get(stateName));
}
