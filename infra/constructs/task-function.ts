// One Lambda per Task state: its own role under the orchestrator path, its own log group, bundled from tasks/<kebab-name>.ts.
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { projectRoot } from '../../tasks/lib/paths';
import { ORCHESTRATOR_ROLE_PATH } from '../names';
import type { WildcardReasons } from '../policy/wildcards';

/** `bundle` runs esbuild locally (never Docker); `stub` ships a placeholder handler so Template tests stay fast. */
export type TaskCode = 'bundle' | 'stub';

export interface TaskFunctionProps {
  readonly stateName: string;
  /** The task module, relative to the repository root (tasks/<kebab-name>.ts). */
  readonly file: string;
  readonly statements: readonly iam.PolicyStatement[];
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: logs.RetentionDays;
  readonly code: TaskCode;
  readonly reasons: WildcardReasons;
}

export class TaskFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;

  public constructor(scope: Construct, id: string, props: TaskFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      path: ORCHESTRATOR_ROLE_PATH,
      description: `Custody: runs the ${props.stateName} task`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    // Explicit log permissions on the function's own group instead of the AWSLambdaBasicExecutionRole managed policy.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [
          props.reasons.resource(
            `${logGroup.logGroupArn}`,
            'log streams of this function are created by Lambda with run-time names',
          ),
        ],
      }),
    );
    for (const statement of props.statements) this.role.addToPolicy(statement);

    const common = {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      role: this.role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      timeout: Duration.minutes(10),
      memorySize: 1024,
      // CUSTODY_ROLE_ARN: the principal every custody log entry of this task names as its actor.
      environment: {
        ...props.environment,
        CUSTODY_ROLE_ARN: this.role.roleArn,
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'custody',
        CUSTODY_STATE: props.stateName,
      },
    };
    this.function =
      props.code === 'bundle'
        ? new NodejsFunction(this, 'Function', {
            ...common,
            entry: join(projectRoot(), props.file),
            handler: 'handler',
            projectRoot: projectRoot(),
            depsLockFilePath: join(projectRoot(), 'package-lock.json'),
            bundling: {
              // The SDK is bundled, not taken from the runtime, so the checksum and Object Lock behaviour tested here is what runs.
              externalModules: [],
              forceDockerBundling: false,
              format: OutputFormat.CJS,
              target: 'node22',
              minify: true,
              sourceMap: true,
            },
          })
        : new lambda.Function(this, 'Function', {
            ...common,
            code: lambda.Code.fromInline(
              `exports.handler = async () => { throw new Error('stub of ${props.stateName}'); };`,
            ),
            handler: 'index.handler',
          });
    // Active tracing makes CDK grant xray:PutTraceSegments/PutTelemetryRecords, which have no resource-level permissions.
    props.reasons.resource(
      '*',
      'X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level permissions (Service Authorization Reference)',
    );
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime Custody is built and tested for (tsconfig target, esbuild target); moving runtimes is a deliberate upgrade.',
    });
  }
}
