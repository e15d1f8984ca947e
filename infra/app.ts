// Builds every Custody stack for one configuration: a storage stack per region, the orchestrator, and the member StackSet template.
import { App } from 'aws-cdk-lib';
import type { CustodyConfig } from '../tasks/lib/config';
import type { TaskCode } from './constructs/task-function';
import { MemberStack } from './stacks/member-stack';
import { OrchestratorStack } from './stacks/orchestrator-stack';
import { StorageStack } from './stacks/storage-stack';
import { WorkstationStack } from './stacks/workstation-stack';

export interface CustodyStacks {
  readonly app: App;
  readonly storage: Readonly<Record<string, StorageStack>>;
  readonly orchestrator: OrchestratorStack;
  readonly member: MemberStack;
  /** Regions whose configuration has a workstation: its network, image pipeline and documents (docs/workstation.md). */
  readonly workstation: Readonly<Record<string, WorkstationStack>>;
}

export interface BuildOptions {
  readonly app?: App;
  readonly taskCode?: TaskCode;
  readonly definitionFile?: string;
  readonly documentsDir?: string;
}

/** `CustodyStorage-eu-west-1`, … one per configured region; `CustodyOrchestrator`; `CustodyMember` (deployed by a StackSet). */
export function buildApp(config: CustodyConfig, options: BuildOptions = {}): CustodyStacks {
  const app = options.app ?? new App();
  // Access logs are delivered under a bucket policy to the logging service principal, not the legacy log-delivery ACL.
  app.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
  const storage: Record<string, StorageStack> = {};
  for (const region of Object.keys(config.regions).sort()) {
    storage[region] = new StorageStack(app, `CustodyStorage-${region}`, {
      config,
      region,
      description: `Custody evidence storage for ${region}`,
    });
  }
  const orchestrator = new OrchestratorStack(app, 'CustodyOrchestrator', {
    config,
    taskCode: options.taskCode,
    definitionFile: options.definitionFile,
    description: 'Custody orchestrator: evidence-collection state machine, task Lambdas, triggers and alarms',
  });
  const member = new MemberStack(app, 'CustodyMember', {
    config,
    documentsDir: options.documentsDir,
    description: 'Custody member account: responder role and capture documents (deploy with a StackSet)',
  });
  const workstation: Record<string, WorkstationStack> = {};
  for (const region of Object.keys(config.regions).sort()) {
    if (!config.regions[region].workstation) continue;
    workstation[region] = new WorkstationStack(app, `CustodyWorkstation-${region}`, {
      config,
      region,
      documentsDir: options.documentsDir,
      description: `Custody examination workstation for ${region}: isolated network, image pipeline, documents`,
    });
  }
  return { app, storage, orchestrator, member, workstation };
}
