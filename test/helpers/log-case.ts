// Shared inputs for the logs tests: the default scenario's case, target and instance facts.
import type { Case, Target } from '../../tasks/lib/case';
import type { InstanceFacts } from '../../tasks/lib/instance-facts';

export const TARGET: Target = { instanceId: 'i-0c0ffee1234567890', accountId: '222222222222', region: 'eu-west-1' };

export function logCase(overrides: Partial<Case> = {}): Case {
  return {
    caseId: '0f8f8d3e-6a8c-4f57-9d55-2a3c0b0e1d11',
    mode: 'collect',
    trigger: 'guardduty',
    targets: [TARGET],
    finding: {
      source: 'guardduty',
      id: 'b2c9a1f03e4d5c6b7a8f9e0d1c2b3a4f',
      arn: 'arn:aws:guardduty:eu-west-1:222222222222:detector/12abc34d567e8fa901bc2d34e56789f0/finding/b2c9a1f03e4d5c6b7a8f9e0d1c2b3a4f',
      type: 'CryptoCurrency:EC2/BitcoinTool.B',
      title: 'Bitcoin-related IP address queried by EC2 instance i-0c0ffee1234567890.',
      severity: 8,
      severityLabel: 'HIGH',
      accountId: '222222222222',
      region: 'eu-west-1',
      firstSeen: '2026-11-27T21:58:02.000Z',
      remoteIps: ['192.0.2.77'],
      domains: ['pool.minexmr.example'],
      ports: [3333],
    },
    requestedBy: 'guardduty',
    reason: 'GuardDuty finding',
    options: {
      isolate: true,
      memory: true,
      volatile: true,
      logs: true,
      snapshots: true,
      logWindowHours: 24,
      isolationPolicy: 'capture-first',
    },
    openedAt: '2026-11-27T22:41:10.000Z',
    ...overrides,
  };
}

export const INSTANCE: InstanceFacts = {
  instanceId: 'i-0c0ffee1234567890',
  state: 'running',
  platform: 'linux',
  instanceType: 't3.large',
  memoryMiB: 64,
  availabilityZone: 'eu-west-1a',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  subnetId: 'subnet-0a1b2c3d4e5f60001',
  networkInterfaces: [
    {
      networkInterfaceId: 'eni-0a1b2c3d4e5f60001',
      deviceIndex: 0,
      privateIpAddress: '10.20.1.57',
      publicIpAddress: '203.0.113.57',
      groups: ['sg-0web00000000000001'],
    },
  ],
  volumes: [
    {
      volumeId: 'vol-0a1b2c3d4e5f60001',
      deviceName: '/dev/xvda',
      sizeGiB: 8,
      encrypted: true,
      kmsKeyId: 'alias/aws/ebs',
      deleteOnTermination: true,
    },
    {
      volumeId: 'vol-0a1b2c3d4e5f60002',
      deviceName: '/dev/sdf',
      sizeGiB: 20,
      encrypted: false,
      deleteOnTermination: true,
    },
  ],
  instanceStore: [],
  iamInstanceProfileArn: 'arn:aws:iam::222222222222:instance-profile/web-server-profile',
  tags: { Name: 'web-prod-3' },
};

/** The tests' clock: shortly after the finding, so the scenario's story is inside the default window. */
export const NOW = new Date('2026-11-27T22:45:00.000Z');
