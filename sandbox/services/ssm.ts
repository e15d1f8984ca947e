// SSM in the sandbox: managed-node inventory, Run Command with Custody's documents, and command invocations the agent fills in.
import type {
  CancelCommandCommandInput,
  DescribeInstanceInformationCommandInput,
  DescribeInstanceInformationCommandOutput,
  GetCommandInvocationCommandInput,
  GetCommandInvocationCommandOutput,
  SendCommandCommandInput,
  SendCommandCommandOutput,
} from '@aws-sdk/client-ssm';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../tasks/lib/paths';
import { awsError } from '../errors';
import type { CallContext, Sandbox } from '../sandbox';
import type { InstanceState } from '../scenario';
import type { AgentResult } from '../ssm-agent';
import { runDocument } from '../ssm-agent';

interface CommandRecord {
  readonly commandId: string;
  readonly documentName: string;
  readonly instance: InstanceState;
  readonly accountId: string;
  readonly region: string;
  readonly parameters: Record<string, string[]>;
  readonly sentAt: number;
  readonly timeoutSeconds: number;
  readonly deliverable: boolean;
  cancelled: boolean;
  run?: Promise<AgentResult>;
}

const commandsBySandbox = new WeakMap<Sandbox, Map<string, CommandRecord>>();

function commands(sandbox: Sandbox): Map<string, CommandRecord> {
  let map = commandsBySandbox.get(sandbox);
  if (!map) {
    map = new Map();
    commandsBySandbox.set(sandbox, map);
  }
  return map;
}

/** Output limits of GetCommandInvocation (GetCommandInvocation API reference): longer output is only in S3/CloudWatch Logs. */
const MAX_STDOUT = 24_000;
const MAX_STDERR = 8_000;

interface DocumentParameter {
  readonly type: string;
  readonly default?: unknown;
  readonly allowedPattern?: string;
}

/** Custody's documents as the member stack deploys them: the JSON files under infra/documents/. */
function loadDocument(name: string): { parameters: Record<string, DocumentParameter> } {
  const path = join(projectRoot(), 'infra', 'documents', `${name}.json`);
  if (!/^[A-Za-z0-9_.-]{3,128}$/.test(name) || !existsSync(path))
    throw awsError('InvalidDocument', `Document with name ${name} does not exist.`);
  return JSON.parse(readFileSync(path, 'utf8')) as { parameters: Record<string, DocumentParameter> };
}

function checkParameters(
  document: { parameters: Record<string, DocumentParameter> },
  given: Record<string, string[]>,
): void {
  for (const name of Object.keys(given)) {
    if (!document.parameters[name])
      throw awsError('InvalidParameters', `Parameter "${name}" is not defined in the document.`);
  }
  for (const [name, definition] of Object.entries(document.parameters)) {
    const values = given[name];
    if (!values && definition.default === undefined)
      throw awsError('InvalidParameters', `Parameter "${name}" is required but was not supplied.`);
    const pattern = definition.allowedPattern ? new RegExp(definition.allowedPattern) : undefined;
    if (pattern && values?.some((value) => !pattern.test(value))) {
      throw awsError(
        'InvalidParameters',
        `Parameter "${name}" "${values.join(',').slice(0, 64)}..." failed to satisfy constraint: allowedPattern ${definition.allowedPattern}`,
      );
    }
  }
}

function findInstance(ctx: CallContext, instanceId: string): InstanceState {
  const instance = ctx.regionState.instances.find((candidate) => candidate.instanceId === instanceId);
  if (!instance || instance.state === 'terminated')
    throw awsError(
      'InvalidInstanceId',
      `Instances [[${instanceId}]] not in a valid state for account ${ctx.caller.accountId}`,
    );
  return instance;
}

function online(instance: InstanceState): boolean {
  return instance.ssm.online && instance.state === 'running';
}

function describeInstanceInformation(
  ctx: CallContext,
  input: DescribeInstanceInformationCommandInput,
): Partial<DescribeInstanceInformationCommandOutput> {
  const wanted = [
    ...(input.Filters ?? []).filter((f) => f.Key === 'InstanceIds').flatMap((f) => f.Values ?? []),
    ...(input.InstanceInformationFilterList ?? [])
      .filter((f) => f.key === 'InstanceIds')
      .flatMap((f) => f.valueSet ?? []),
  ];
  const instances = ctx.regionState.instances.filter(
    (instance) => wanted.length === 0 || wanted.includes(instance.instanceId),
  );
  return {
    InstanceInformationList: instances.map((instance) => ({
      InstanceId: instance.instanceId,
      PingStatus: online(instance) ? 'Online' : 'ConnectionLost',
      LastPingDateTime: new Date(),
      AgentVersion: instance.ssm.agentVersion,
      IsLatestVersion: false,
      PlatformType: instance.platform === 'windows' ? 'Windows' : 'Linux',
      PlatformName: instance.platformName,
      ResourceType: 'EC2Instance',
      IPAddress: instance.networkInterfaces[0]?.privateIpAddress,
      ComputerName: instance.tags.Name ?? instance.instanceId,
    })),
  };
}

function sendCommand(ctx: CallContext, input: SendCommandCommandInput): Partial<SendCommandCommandOutput> {
  const documentName = input.DocumentName ?? '';
  const document = loadDocument(documentName);
  const parameters = (input.Parameters ?? {}) as Record<string, string[]>;
  checkParameters(document, parameters);
  const ids = input.InstanceIds ?? [];
  if (ids.length !== 1) throw awsError('InvalidInstanceId', 'the sandbox runs a command on exactly one instance');
  const instance = findInstance(ctx, ids[0]);
  const commandId = randomUUID();
  const timeoutSeconds = Number(parameters.executionTimeout?.[0] ?? input.TimeoutSeconds ?? 3600);
  commands(ctx.sandbox).set(commandId, {
    commandId,
    documentName,
    instance,
    accountId: ctx.caller.accountId,
    region: ctx.region,
    parameters,
    sentAt: Date.now(),
    timeoutSeconds,
    deliverable: online(instance),
    cancelled: false,
  });
  return {
    Command: {
      CommandId: commandId,
      DocumentName: documentName,
      InstanceIds: ids,
      Status: 'Pending',
      RequestedDateTime: new Date(),
      TimeoutSeconds: input.TimeoutSeconds,
      Comment: input.Comment,
    },
  };
}

function record(ctx: CallContext, commandId: string | undefined, instanceId: string | undefined): CommandRecord {
  const command = commands(ctx.sandbox).get(commandId ?? '');
  if (!command || command.instance.instanceId !== instanceId || command.accountId !== ctx.caller.accountId) {
    throw awsError(
      'InvocationDoesNotExist',
      'An error occurred (InvocationDoesNotExist) when calling the GetCommandInvocation operation',
    );
  }
  return command;
}

/**
 * Command statuses as Run Command reports them (Understanding command statuses, Systems Manager User Guide): an offline node
 * is Undeliverable, a slow one stays InProgress, then Success or Failed with the script's exit code and output.
 */
async function getCommandInvocation(
  ctx: CallContext,
  input: GetCommandInvocationCommandInput,
): Promise<Partial<GetCommandInvocationCommandOutput>> {
  const command = record(ctx, input.CommandId, input.InstanceId);
  const base = {
    CommandId: command.commandId,
    InstanceId: command.instance.instanceId,
    DocumentName: command.documentName,
    PluginName: input.PluginName,
  };
  const status = (Status: GetCommandInvocationCommandOutput['Status'], StatusDetails: string, ResponseCode = -1) => ({
    ...base,
    Status,
    StatusDetails,
    ResponseCode,
  });
  if (command.cancelled) return status('Cancelled', 'Cancelled');
  if (!command.deliverable) return status('Failed', 'Undeliverable');
  const elapsed = Date.now() - command.sentAt;
  if (elapsed < ctx.sandbox.pendingMs || command.instance.ssm.behaviour === 'slow') {
    return elapsed > command.timeoutSeconds * 1000
      ? status('TimedOut', 'ExecutionTimedOut')
      : status('InProgress', 'InProgress');
  }
  command.run ??= runDocument({
    sandbox: ctx.sandbox,
    accountId: command.accountId,
    region: command.region,
    instance: command.instance,
    documentName: command.documentName,
    parameters: command.parameters,
  });
  const result = await command.run;
  // An agent that dies mid-run never reports back: Run Command marks the invocation TimedOut once its timeout passes.
  const final =
    result.responseCode === -1
      ? status('TimedOut', 'ExecutionTimedOut')
      : status(result.status, result.status, result.responseCode);
  return {
    ...final,
    StandardOutputContent: result.stdout.slice(0, MAX_STDOUT),
    StandardErrorContent: result.stderr.slice(0, MAX_STDERR),
    ExecutionElapsedTime: `PT${(elapsed / 1000).toFixed(3)}S`,
  };
}

function cancelCommand(ctx: CallContext, input: CancelCommandCommandInput): Record<string, never> {
  const command = commands(ctx.sandbox).get(input.CommandId ?? '');
  if (!command || command.accountId !== ctx.caller.accountId)
    throw awsError('InvalidCommandId', `Command ${input.CommandId} does not exist.`);
  if (!command.run) command.cancelled = true;
  return {};
}

export const ssm = {
  DescribeInstanceInformation: describeInstanceInformation,
  SendCommand: sendCommand,
  GetCommandInvocation: getCommandInvocation,
  CancelCommand: cancelCommand,
};
