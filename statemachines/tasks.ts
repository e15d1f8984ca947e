// The task behind each Lambda placeholder of the ASL (`${NameFunctionArn}` → Name), for the local runner and the CDK app.
import type { z } from 'zod';
import { analyzeCaseTask } from '../tasks/analyze-case';
import { attachEvidenceVolumesTask } from '../tasks/attach-evidence-volumes';
import { checkExaminationTask } from '../tasks/check-examination';
import { cleanupWorkstationTask } from '../tasks/cleanup-workstation';
import { runExaminationTask } from '../tasks/run-examination';
import { startWorkstationTask } from '../tasks/start-workstation';
import { captureMemoryTask } from '../tasks/capture-memory';
import { checkCommandTask } from '../tasks/check-command';
import { checkSnapshotCopiesTask } from '../tasks/check-snapshot-copies';
import { checkSnapshotsTask } from '../tasks/check-snapshots';
import { collectLogsTask } from '../tasks/collect-logs';
import { collectVolatileDataTask } from '../tasks/collect-volatile';
import { containCredentialsTask } from '../tasks/contain-credentials';
import { copySnapshotsTask } from '../tasks/copy-snapshots';
import { detachFromFleetTask } from '../tasks/detach-from-fleet';
import { examineEvidenceTask } from '../tasks/examine-evidence';
import { isolateNetworkTask } from '../tasks/isolate-network';
import type { TaskDefinition } from '../tasks/lib/handler';
import { notifyTask } from '../tasks/notify';
import { openCaseTask } from '../tasks/open-case';
import { preserveInstanceTask } from '../tasks/preserve-instance';
import { renderReportTask } from '../tasks/render-report';
import { sealCaseTask } from '../tasks/seal-case';
import { snapshotVolumesTask } from '../tasks/snapshot-volumes';
import { summariseTargetTask } from '../tasks/summarise-target';
import { triageTask } from '../tasks/triage';

export type AnyTask = TaskDefinition<z.ZodType, unknown>;

const all = [
  triageTask,
  openCaseTask,
  preserveInstanceTask,
  detachFromFleetTask,
  containCredentialsTask,
  isolateNetworkTask,
  captureMemoryTask,
  collectVolatileDataTask,
  checkCommandTask,
  snapshotVolumesTask,
  checkSnapshotsTask,
  copySnapshotsTask,
  checkSnapshotCopiesTask,
  collectLogsTask,
  summariseTargetTask,
  startWorkstationTask,
  attachEvidenceVolumesTask,
  runExaminationTask,
  checkExaminationTask,
  cleanupWorkstationTask,
  examineEvidenceTask,
  analyzeCaseTask,
  renderReportTask,
  sealCaseTask,
  notifyTask,
] as unknown as AnyTask[];

/** Function name → task. Several states may share one function (IsolateNetwork and IsolateNetworkAfterCapture). */
export const TASKS: Readonly<Record<string, AnyTask>> = Object.fromEntries(all.map((task) => [task.name, task]));
