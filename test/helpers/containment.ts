// Fixtures for the containment tests: a case, InstanceFacts built straight from sandbox state, and a multi-ENI organisation.
import type { Scenario } from '../../sandbox/scenario';
import { loadScenario } from '../../sandbox/scenario';
import type { Case, IsolationPolicy, Mode } from '../../tasks/lib/case';
import type { InstanceFacts } from '../../tasks/lib/instance-facts';
import type { TestContext } from './deps';

export const ACCOUNT = '222222222222';
export const REGION = 'eu-west-1';
export const WEB = 'i-0c0ffee1234567890';
export const MULTI = 'i-0a1b2c3d4e5f6a7b8';
export const STOPPED = 'i-0b1b2c3d4e5f6a7b8';
export const TERMINATED = 'i-0c1b2c3d4e5f6a7b8';

export function makeCase(
  instanceIds: string[],
  mode: Mode = 'collect',
  isolationPolicy: IsolationPolicy = 'full',
): Case {
  return {
    caseId: '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b',
    mode,
    trigger: 'manual',
    targets: instanceIds.map((instanceId) => ({ instanceId, accountId: ACCOUNT, region: REGION })),
    requestedBy: 'responder@example.com',
    reason: 'INC-1234',
    options: {
      isolate: true,
      memory: true,
      volatile: true,
      logs: true,
      snapshots: true,
      logWindowHours: 24,
      isolationPolicy,
    },
    openedAt: '2026-11-27T22:45:00.000Z',
  };
}

/** What PreserveInstance would report, read directly from the sandbox (tests do not depend on that task). */
export function factsFor(ctx: TestContext, instanceId: string): InstanceFacts {
  const state = ctx.env.sandbox.regionState(ACCOUNT, REGION);
  const instance = state.instances.find((candidate) => candidate.instanceId === instanceId);
  if (!instance) throw new Error(`no instance ${instanceId}`);
  const group = state.autoScalingGroups.find((candidate) =>
    candidate.instances.some((member) => member.instanceId === instanceId),
  );
  return {
    instanceId,
    state: instance.state,
    platform: instance.platform,
    instanceType: instance.instanceType,
    availabilityZone: instance.availabilityZone,
    vpcId: instance.vpcId,
    subnetId: instance.subnetId,
    networkInterfaces: instance.networkInterfaces.map((eni) => ({
      networkInterfaceId: eni.networkInterfaceId,
      deviceIndex: eni.deviceIndex,
      groups: eni.groups,
    })),
    volumes: [],
    instanceStore: [],
    ...(instance.iamInstanceProfileArn ? { iamInstanceProfileArn: instance.iamInstanceProfileArn } : {}),
    ...(group ? { autoScalingGroupName: group.name } : {}),
    tags: instance.tags,
  };
}

export function stepInput(
  ctx: TestContext,
  instanceId: string,
  mode: Mode = 'collect',
  policy: IsolationPolicy = 'full',
) {
  return {
    case: makeCase([instanceId], mode, policy),
    target: { instanceId, accountId: ACCOUNT, region: REGION },
    facts: factsFor(ctx, instanceId),
  };
}

/** The default organisation plus a two-ENI instance in no group with no profile, a stopped one and a terminated one. */
export function multiEniScenario(): Scenario {
  const scenario = loadScenario();
  const region = scenario.accounts[1].regions[REGION];
  const web = region.instances[0];
  region.securityGroups.push({
    groupId: 'sg-0db000000000000002',
    groupName: 'db-clients',
    description: '',
    vpcId: web.vpcId,
    ingress: [],
    egress: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '10.20.0.0/16' }],
    tags: {},
  });
  const base = { ...web, tags: {}, iamInstanceProfileArn: undefined, blockDevices: [] };
  region.instances.push(
    {
      ...base,
      instanceId: MULTI,
      networkInterfaces: [
        {
          networkInterfaceId: 'eni-0b0000000000000a0',
          deviceIndex: 0,
          subnetId: web.subnetId,
          privateIpAddress: '10.20.1.80',
          groups: ['sg-0web00000000000001'],
          tags: {},
        },
        {
          networkInterfaceId: 'eni-0b0000000000000a1',
          deviceIndex: 1,
          subnetId: web.subnetId,
          privateIpAddress: '10.20.1.81',
          groups: ['sg-0web00000000000001', 'sg-0db000000000000002'],
          tags: {},
        },
      ],
    },
    {
      ...base,
      instanceId: STOPPED,
      state: 'stopped',
      networkInterfaces: [
        {
          networkInterfaceId: 'eni-0b0000000000000b0',
          deviceIndex: 0,
          subnetId: web.subnetId,
          privateIpAddress: '10.20.1.90',
          groups: ['sg-0web00000000000001'],
          tags: {},
        },
      ],
    },
    {
      ...base,
      instanceId: TERMINATED,
      state: 'terminated',
      iamInstanceProfileArn: web.iamInstanceProfileArn,
      networkInterfaces: [
        {
          networkInterfaceId: 'eni-0b0000000000000c0',
          deviceIndex: 0,
          subnetId: web.subnetId,
          privateIpAddress: '10.20.1.99',
          groups: ['sg-0web00000000000001'],
          tags: {},
        },
      ],
    },
  );
  region.flows.push({
    flowId: 'flow-second-eni-inbound',
    networkInterfaceId: 'eni-0b0000000000000a1',
    direction: 'inbound',
    remoteIp: '203.0.113.200',
    remotePort: 60000,
    localPort: 22,
    protocol: 'tcp',
    open: true,
    tracked: true,
  });
  return scenario;
}
