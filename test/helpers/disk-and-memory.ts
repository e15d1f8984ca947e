// Fixtures for the disk and memory tests: a case, a Windows instance beside the Linux web server, and InstanceFacts from the sandbox.
import type { Scenario } from '../../sandbox/scenario';
import { loadScenario } from '../../sandbox/scenario';
import type { Sandbox } from '../../sandbox';
import type { Case, Mode, Target } from '../../tasks/lib/case';
import { CaseOptionsSchema } from '../../tasks/lib/case';
import type { InstanceFacts } from '../../tasks/lib/instance-facts';

export const MEMBER = '222222222222';
export const FORENSICS = '333333333333';
export const REGION = 'eu-west-1';
export const LINUX: Target = { instanceId: 'i-0c0ffee1234567890', accountId: MEMBER, region: REGION };
export const WINDOWS: Target = { instanceId: 'i-0d15ea5e000000001', accountId: MEMBER, region: REGION };
export const SNAPSHOT_KEY = 'arn:aws:kms:eu-west-1:333333333333:key/5c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f';
export const EVIDENCE_BUCKET = 'custody-evidence-333333333333-eu-west-1';

export function makeCase(mode: Mode = 'collect', targets: Target[] = [LINUX, WINDOWS]): Case {
  return {
    caseId: '0b9f3c1e-7d2a-4e5b-9c8d-1a2b3c4d5e6f',
    mode,
    trigger: 'manual',
    targets,
    requestedBy: 'responder@example.com',
    reason: 'INC-4711 miner on web-prod-3',
    options: CaseOptionsSchema.parse({}),
    openedAt: '2026-11-27T22:45:00.000Z',
  };
}

/** The default scenario plus a Windows file server whose data volume is encrypted with the member account's own key. */
export function scenarioWithWindows(): Scenario {
  const scenario = loadScenario();
  const region = scenario.accounts.find((account) => account.accountId === MEMBER)!.regions[REGION];
  const linux = region.instances[0];
  region.instances.push({
    ...structuredClone(linux),
    instanceId: WINDOWS.instanceId,
    platform: 'windows',
    platformName: 'Microsoft Windows Server 2022 Datacenter',
    instanceType: 'm5.large',
    rootDeviceName: '/dev/sda1',
    blockDevices: [
      { deviceName: '/dev/sda1', volumeId: 'vol-0f11e5e7000000001', deleteOnTermination: true },
      { deviceName: 'xvdf', volumeId: 'vol-0f11e5e7000000002', deleteOnTermination: false },
    ],
    instanceStore: [{ deviceName: '/dev/sdb', virtualName: 'ephemeral0' }],
    networkInterfaces: [
      {
        ...linux.networkInterfaces[0],
        networkInterfaceId: 'eni-0f11e5e7000000001',
        privateIpAddress: '10.20.1.80',
        publicIpAddress: undefined,
      },
    ],
    tags: { Name: 'files-1' },
    memoryMiB: 48,
    ssm: { online: true, agentVersion: '3.3.1142.0', behaviour: 'normal' },
  });
  region.volumes.push(
    {
      volumeId: 'vol-0f11e5e7000000001',
      sizeGiB: 30,
      volumeType: 'gp3',
      availabilityZone: 'eu-west-1a',
      encrypted: false,
      tags: {},
      snapshotFails: false,
    },
    {
      volumeId: 'vol-0f11e5e7000000002',
      sizeGiB: 50,
      volumeType: 'gp3',
      availabilityZone: 'eu-west-1a',
      encrypted: true,
      kmsKeyId: 'arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      tags: {},
      snapshotFails: false,
    },
  );
  region.kmsKeys.push({
    keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
    arn: 'arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    keyUsage: 'ENCRYPT_DECRYPT',
    keySpec: 'SYMMETRIC_DEFAULT',
    aliases: ['alias/file-server'],
    sharedWith: [],
    awsManaged: false,
  });
  return scenario;
}

/** What PreserveInstance would hand on for an instance of the sandbox. */
export function factsFor(sandbox: Sandbox, target: Target): InstanceFacts {
  const region = sandbox.regionState(target.accountId, target.region);
  const instance = region.instances.find((candidate) => candidate.instanceId === target.instanceId)!;
  return {
    instanceId: instance.instanceId,
    state: instance.state,
    platform: instance.platform,
    instanceType: instance.instanceType,
    memoryMiB: instance.memoryMiB,
    availabilityZone: instance.availabilityZone,
    vpcId: instance.vpcId,
    subnetId: instance.subnetId,
    networkInterfaces: [],
    volumes: instance.blockDevices.map((device) => {
      const volume = region.volumes.find((candidate) => candidate.volumeId === device.volumeId)!;
      return {
        volumeId: volume.volumeId,
        deviceName: device.deviceName,
        sizeGiB: volume.sizeGiB,
        encrypted: volume.encrypted,
        ...(volume.kmsKeyId ? { kmsKeyId: volume.kmsKeyId } : {}),
        deleteOnTermination: device.deleteOnTermination,
      };
    }),
    instanceStore: instance.instanceStore.map((device) => device.deviceName),
    tags: instance.tags,
  };
}
