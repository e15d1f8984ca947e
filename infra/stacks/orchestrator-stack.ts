// Orchestrator stack in the security tooling account: the state machine from statemachines/, one Lambda per task, triggers, alarms.
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CfnActionTarget } from 'aws-cdk-lib/aws-securityhub';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { CustodyConfig } from '../../tasks/lib/config';
import { actionsFor, taskFileForState, usesPrincipal } from '../../tasks/lib/permissions';
import { listStates } from '../../statemachines/definition';
import { placeholders, readDefinition, taskStates } from '../asl';
import type { TaskCode } from '../constructs/task-function';
import { TaskFunction } from '../constructs/task-function';
import { OperatorRole } from '../constructs/operator-role';
import { STATE_MACHINE_NAME, requireDeployment } from '../names';
import { statementsFor } from '../policy/scopes';
import { WildcardReasons } from '../policy/wildcards';
import { assumeRoleStatements } from '../policy/assume';
import { importClosure } from '../policy/imports';

export interface OrchestratorStackProps extends StackProps {
  readonly config: CustodyConfig;
  /** The ASL file, relative to the repository root. */
  readonly definitionFile?: string;
  readonly taskCode?: TaskCode;
}

/** GuardDuty "GuardDuty Finding" events about EC2 instances at or above the severity threshold (EventBridge numeric matching). */
export function guardDutyPattern(threshold: number): events.EventPattern {
  return {
    source: ['aws.guardduty'],
    detailType: ['GuardDuty Finding'],
    detail: { resource: { resourceType: ['Instance'] }, severity: [{ numeric: ['>=', threshold] }] },
  };
}

export class OrchestratorStack extends Stack {
  public readonly stateMachine: sfn.StateMachine;
  public readonly topic: sns.Topic;
  public readonly functions: Readonly<Record<string, TaskFunction>>;
  /** Only when `deployment.operatorPrincipals` names someone (docs/deploy.md §8). */
  public readonly operatorRole?: OperatorRole;

  public constructor(scope: Construct, id: string, props: OrchestratorStackProps) {
    const deployment = requireDeployment(props.config);
    super(scope, id, {
      ...props,
      env: { account: deployment.orchestratorAccountId, region: deployment.orchestratorRegion },
    });
    const reasons = new WildcardReasons(this);
    const retention = toRetention(deployment.logRetentionDays);
    const definition = readDefinition(props.definitionFile);

    const topicKey = new kms.Key(this, 'NotificationKey', {
      description: 'Custody: notification topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch alarms and EventBridge can publish to an encrypted topic only if the key lets them (Amazon SNS "Data encryption").
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'NotificationTopic', {
      displayName: 'Custody cases',
      masterKey: topicKey,
      enforceSSL: true,
    });
    for (const email of deployment.notificationEmails) this.topic.addSubscription(new EmailSubscription(email));

    const stateMachineArn = this.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: STATE_MACHINE_NAME,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const functions: Record<string, TaskFunction> = {};
    for (const state of taskStates(definition)) {
      const file = taskFileForState(state);
      // A Lambda makes the calls of everything it bundles, not only of its task file (e.g. RenderReport sizes instances).
      const bundled = importClosure(file);
      const ctx = {
        partition: this.partition,
        account: this.account,
        forensicsAccounts: [],
        topicArn: this.topic.topicArn,
        stateMachineArn,
        reasons,
      };
      const orchestratorActions = actionsFor('orchestrator', bundled).filter((action) => action !== 'sts:AssumeRole');
      functions[state] = new TaskFunction(this, state, {
        stateName: state,
        file,
        statements: [
          ...statementsFor('orchestrator', orchestratorActions, ctx),
          ...assumeRoleStatements(
            props.config,
            this.partition,
            bundled.some((module) => usesPrincipal(module, 'member')),
            reasons,
          ),
        ],
        // Notify publishes to this stack's topic whatever the configuration file says.
        environment: { CUSTODY_CONFIG: this.toJsonString({ ...props.config, snsTopicArn: this.topic.topicArn }) },
        logRetention: retention,
        code: props.taskCode ?? 'bundle',
        reasons,
      });
    }
    this.functions = functions;

    const available: Record<string, string> = { NotificationTopicArn: this.topic.topicArn };
    for (const [state, fn] of Object.entries(functions)) available[`${state}FunctionArn`] = fn.function.functionArn;
    const substitutions = Object.fromEntries(
      placeholders(definition)
        .filter((name) => name in available)
        .map((name) => [name, available[name]]),
    );
    const unknown = placeholders(definition).filter((name) => !(name in available));
    if (unknown.length > 0)
      throw new Error(
        `the state machine definition uses placeholders the stack does not provide: ${unknown.join(', ')}`,
      );

    const stateMachineLogs = new logs.LogGroup(this, 'StateMachineLogs', {
      retention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: STATE_MACHINE_NAME,
      definitionBody: sfn.DefinitionBody.fromString(definition),
      definitionSubstitutions: substitutions,
      tracingEnabled: true,
      logs: { destination: stateMachineLogs, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    reasons.resource(
      '*',
      'Step Functions log delivery (logs:CreateLogDelivery, …) and X-Ray calls have no resource-level permissions',
    );
    for (const fn of Object.values(functions)) {
      this.stateMachine.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.function.functionArn] }),
      );
    }
    if (placeholders(definition).includes('NotificationTopicArn')) this.topic.grantPublish(this.stateMachine);
    this.allowDistributedMaps(definition, stateMachineArn, reasons);

    this.addTriggers(props.config);
    this.addAlarms();
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.topic.topicArn });
    if (deployment.operatorPrincipals.length > 0) {
      this.operatorRole = new OperatorRole(this, 'Operator', { config: props.config, reasons });
      new CfnOutput(this, 'OperatorRoleArn', { value: this.operatorRole.role.roleArn });
    }
    reasons.acknowledgeAll();
  }

  /**
   * A Distributed Map starts its iterations as child executions of this same state machine and watches or stops them
   * ("IAM policies for using Distributed Map states", Step Functions Developer Guide). The ARNs are built from the fixed
   * name, not from `this.stateMachine`, whose ARN would make its own role depend on it (a circular reference).
   */
  private allowDistributedMaps(definition: string, stateMachineArn: string, reasons: WildcardReasons): void {
    const labels = listStates(JSON.parse(definition) as unknown)
      .filter((state) => state.mode === 'DISTRIBUTED')
      .map((state) => state.label ?? state.name);
    if (labels.length === 0) return;
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachineArn] }),
    );
    const children = labels.map((label) =>
      reasons.resource(
        this.formatArn({
          service: 'states',
          resource: 'execution',
          resourceName: `${STATE_MACHINE_NAME}/${label}:*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
        `the child executions of the ${label} Distributed Map are named by Step Functions when it starts them`,
      ),
    );
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:StopExecution'], resources: children }),
    );
  }

  private addTriggers(config: CustodyConfig): void {
    const target = new targets.SfnStateMachine(this.stateMachine, { retryAttempts: 8, maxEventAge: Duration.hours(2) });
    new events.Rule(this, 'GuardDutyFindingRule', {
      description: `Custody: EC2 GuardDuty findings of severity >= ${config.severityThreshold} open a case`,
      eventPattern: guardDutyPattern(config.severityThreshold),
      targets: [target],
    });
    const action = new CfnActionTarget(this, 'SecurityHubAction', {
      name: 'Collect evidence',
      id: 'CustodyCollect',
      description: 'Custody: collect forensic evidence from the EC2 instances of the selected findings',
    });
    Validations.of(action).acknowledge({
      id: 'CloudFormation-Validate::F3006',
      reason:
        'AWS::SecurityHub::ActionTarget is a documented CloudFormation resource type; the bundled validator schema does not list it for this region yet.',
    });
    new events.Rule(this, 'SecurityHubActionRule', {
      description: 'Custody: the Security Hub custom action opens a case for the selected findings',
      // Security Hub User Guide, "Defining a rule in EventBridge": custom action events name the action ARN in resources.
      eventPattern: {
        source: ['aws.securityhub'],
        detailType: ['Security Hub Findings - Custom Action'],
        resources: [action.attrActionTargetArn],
      },
      targets: [target],
    });
  }

  private addAlarms(): void {
    const alarm = new SnsAction(this.topic);
    const metrics: Array<[string, cloudwatch.Metric]> = [
      ['ExecutionsFailedAlarm', this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' })],
      ['ExecutionsTimedOutAlarm', this.stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' })],
      ['ExecutionsAbortedAlarm', this.stateMachine.metricAborted({ period: Duration.minutes(5), statistic: 'Sum' })],
    ];
    for (const [id, metric] of metrics) {
      new cloudwatch.Alarm(this, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `Custody: a case execution ${id.replace(/Executions|Alarm/g, '').toLowerCase()}; evidence may be incomplete, check the custody log`,
      }).addAlarmAction(alarm);
    }
  }
}

function toRetention(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays)
    .filter((value): value is number => typeof value === 'number' && value > 0)
    .sort((a, b) => a - b);
  return (allowed.find((value) => value >= days) ?? logs.RetentionDays.TEN_YEARS) as logs.RetentionDays;
}
