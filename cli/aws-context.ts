// Where the responder commands act: configuration, the state machine, the region and whose credentials — never guessed for a change.
import { existsSync } from 'node:fs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import type { ClientFactory, ClientInterceptor } from '../tasks/lib/aws';
import { createClientFactory } from '../tasks/lib/aws';
import type { CustodyConfig } from '../tasks/lib/config';
import { loadConfigFile } from '../tasks/lib/config';
import { InvalidInputError } from '../tasks/lib/errors';
import type { CliIo } from './io';
import { promptMfaCode } from './mfa';

/** Options every command that talks to the deployed orchestrator shares. */
export interface AwsOptions {
  readonly profile?: string;
  readonly region?: string;
  readonly config?: string;
  readonly stateMachineArn?: string;
  /** Explicit consent to use the SDK's default credential chain (environment, SSO cache, instance role) for a change. */
  readonly yesUseDefaultCredentials?: boolean;
}

/** What tests (and embedders) inject: the sandbox as interceptor, a fast clock for polling. */
export interface CommandEnv {
  readonly interceptor?: ClientInterceptor;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly pollMs?: number;
  readonly environment?: Readonly<Record<string, string | undefined>>;
}

export interface AwsContext {
  readonly config: CustodyConfig;
  readonly stateMachineArn: string;
  /** The orchestrator's region: the state machine's. */
  readonly region: string;
  readonly clients: ClientFactory;
  readonly credentialsLabel: string;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
export const DEFAULT_CONFIG_FILE = 'custody.config.json';

/** The configuration: `--config`, else $CUSTODY_CONFIG, else ./custody.config.json. */
export function loadCliConfig(options: AwsOptions, env: CommandEnv = {}): CustodyConfig {
  const environment = env.environment ?? process.env;
  const path =
    options.config ?? environment.CUSTODY_CONFIG ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (!path)
    throw new InvalidInputError(
      `no configuration: pass --config FILE, set CUSTODY_CONFIG, or create ./${DEFAULT_CONFIG_FILE}`,
    );
  return loadConfigFile(path);
}

/**
 * Resolves where to act. A command that changes something (`mutating`) refuses to run on ambient credentials: the responder
 * names a profile, or says `--yes-use-default-credentials`; the region always comes from the state machine ARN, and a
 * `--region` that disagrees with it is refused rather than silently followed.
 */
export function resolveAwsContext(
  options: AwsOptions,
  env: CommandEnv,
  mutating: boolean,
  config = loadCliConfig(options, env),
): AwsContext {
  const stateMachineArn = options.stateMachineArn ?? config.stateMachineArn;
  if (!stateMachineArn) {
    throw new InvalidInputError(
      'no state machine: set stateMachineArn in the configuration (the StateMachineArn stack output) or pass --state-machine-arn',
    );
  }
  const match = STATE_MACHINE_ARN.exec(stateMachineArn);
  if (!match) throw new InvalidInputError(`not a Step Functions state machine ARN: ${stateMachineArn}`);
  const region = match[1];
  if (options.region && options.region !== region) {
    throw new InvalidInputError(
      `--region ${options.region} disagrees with the state machine's region ${region}; Custody runs in the region it is deployed in`,
    );
  }
  if (mutating && !options.profile && !options.yesUseDefaultCredentials) {
    throw new InvalidInputError(
      'refusing to act on ambient credentials: name the account with --profile PROFILE, or pass --yes-use-default-credentials to use the default credential chain on purpose',
    );
  }
  const baseCredentials = options.profile
    ? fromIni({ profile: options.profile, mfaCodeProvider: promptMfaCode })
    : undefined;
  const clients = createClientFactory({
    config,
    sessionName: 'custody-cli',
    interceptor: env.interceptor,
    baseCredentials,
  });
  const credentialsLabel = options.profile ? `profile ${options.profile}` : 'default credential chain';
  return { config, stateMachineArn, region, clients, credentialsLabel };
}

/** Prints (and returns) whose credentials are about to be used where: the responder sees the account before anything starts. */
export async function announceIdentity(context: AwsContext, io: CliIo): Promise<{ account: string; arn: string }> {
  const identity = await context.clients.orchestrator(context.region).sts().send(new GetCallerIdentityCommand({}));
  const account = identity.Account ?? 'unknown';
  const arn = identity.Arn ?? 'unknown';
  io.out(`Acting in account ${account} as ${arn} (${context.credentialsLabel}, region ${context.region})`);
  return { account, arn };
}

/** The execution ARN of a case: executions are named by case id, so the ARN follows from the state machine's. */
export function executionArnFor(stateMachineArn: string, caseId: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${caseId}`;
}

/** The Step Functions console page of an execution. */
export function consoleLink(region: string, executionArn: string): string {
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
