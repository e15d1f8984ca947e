// Triage refuses what it cannot act on with a specific, bounded, one-line reason, and touches nothing.
import { InvalidInputError, RegionNotConfiguredError, UnsupportedEventError } from '../../tasks/lib/errors';
import { parseEventText, triage } from '../../tasks/triage';
import { deps, fixture, setPath } from './triage.helpers';

type ErrorClass = typeof InvalidInputError;

function refusal(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal, but triage accepted the input');
}

function gd(path: (string | number)[], value: unknown): Record<string, unknown> {
  const event = fixture('guardduty-linux-network-connection.json');
  setPath(event, path, value);
  return event;
}

function sh(path: (string | number)[], value: unknown): Record<string, unknown> {
  const event = fixture('securityhub-imported-guardduty.json');
  setPath(event, ['detail', 'findings', 0, ...path], value);
  return event;
}

function request(change: Record<string, unknown>): Record<string, unknown> {
  return { ...fixture('request-collect.json'), ...change };
}

const target = (instanceId: string, accountId = '222222222222', region = 'eu-west-1') => ({
  instanceId,
  accountId,
  region,
});

describe('event files the CLI reads', () => {
  it.each<[string, string, RegExp]>([
    ['an empty file', '', /event is empty/],
    ['a file of blank lines', '  \n\t\n', /event is empty/],
    ['malformed JSON', '{"detail-type": "GuardDuty Finding",', /event is not valid JSON/],
    ['a JSON array', '[{"mode":"collect"}]', /must be a JSON object, got an array/],
    ['a JSON string', '"i-0c0ffee1234567890"', /must be a JSON object, got a string/],
    ['JSON null', 'null', /must be a JSON object, got null/],
  ])('refuses %s', (_name, text, message) => {
    const error = refusal(() => parseEventText(text));

    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(message);
  });

  it('reads a file that starts with a UTF-8 byte-order mark', () => {
    expect(parseEventText('\uFEFF{"a":1}')).toEqual({ a: 1 });
  });
});

describe('triggers triage refuses', () => {
  it.each<[string, unknown, ErrorClass, RegExp]>([
    ['an array as the trigger', [], InvalidInputError, /got an array/],
    ['a GuardDuty event without detail', gd(['detail'], undefined), InvalidInputError, /detail is required/],
    [
      'a GuardDuty finding without an instance id',
      gd(['detail', 'resource', 'instanceDetails', 'instanceId'], undefined),
      InvalidInputError,
      /detail\.resource\.instanceDetails\.instanceId is required/,
    ],
    [
      'a shell injection in the instance id',
      gd(['detail', 'resource', 'instanceDetails', 'instanceId'], 'i-123;rm -rf /'),
      InvalidInputError,
      /instanceId is invalid: not an EC2 instance id/,
    ],
    [
      'a path traversal as the instance id',
      gd(['detail', 'resource', 'instanceDetails', 'instanceId'], '../../i-0c0ffee1234567890'),
      InvalidInputError,
      /instanceId is invalid/,
    ],
    [
      'a Cyrillic look-alike in the instance id',
      gd(['detail', 'resource', 'instanceDetails', 'instanceId'], 'і-0c0ffee1234567890'),
      InvalidInputError,
      /instanceId is invalid/,
    ],
    [
      'an 11-digit account',
      gd(['detail', 'accountId'], '22222222222'),
      InvalidInputError,
      /detail\.accountId is invalid: not an AWS account id/,
    ],
    [
      'a 13-digit account',
      gd(['detail', 'accountId'], '2222222222222'),
      InvalidInputError,
      /detail\.accountId is invalid/,
    ],
    [
      'an SQL injection as the region',
      gd(['detail', 'region'], 'us-east-1; DROP TABLE cases'),
      InvalidInputError,
      /detail\.region is invalid: not an AWS region name/,
    ],
    [
      'a finding ARN that names another account',
      gd(['detail', 'accountId'], '444444444444'),
      InvalidInputError,
      /detail\.arn does not match/,
    ],
    [
      'an instance whose zone is outside the finding region',
      gd(['detail', 'resource', 'instanceDetails', 'availabilityZone'], 'us-east-1a'),
      InvalidInputError,
      /availability zone "us-east-1a" is not in the finding's region eu-west-1/,
    ],
    [
      'an archived GuardDuty finding',
      gd(['detail', 'service', 'archived'], true),
      UnsupportedEventError,
      /is archived/,
    ],
    [
      'an IAM access-key finding',
      fixture('guardduty-iam-access-key.json'),
      UnsupportedEventError,
      /resource type "AccessKey", not an EC2 instance/,
    ],
    ['an S3 bucket finding', fixture('guardduty-s3-bucket.json'), UnsupportedEventError, /resource type "S3Bucket"/],
    [
      'an EKS cluster finding',
      fixture('guardduty-eks-cluster.json'),
      UnsupportedEventError,
      /resource type "EKSCluster"/,
    ],
    [
      'an unknown detail-type',
      gd(['detail-type'], 'GuardDuty Runtime Protection Healthy'),
      UnsupportedEventError,
      /"aws.guardduty" \/ "GuardDuty Runtime Protection Healthy" is not a trigger/,
    ],
    [
      'an event from another service',
      { source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification', detail: {} },
      UnsupportedEventError,
      /not a trigger Custody acts on/,
    ],
    [
      'a Security Hub finding with only an S3 bucket',
      fixture('securityhub-imported-s3-only.json'),
      UnsupportedEventError,
      /no AwsEc2Instance resource \(only "AwsS3Bucket"\)/,
    ],
    [
      'a Security Hub event with no findings',
      { ...fixture('securityhub-imported-guardduty.json'), detail: { findings: [] } },
      InvalidInputError,
      /detail\.findings is invalid: holds no finding/,
    ],
    [
      'a Security Hub instance ARN in another account',
      sh(['Resources', 0, 'Id'], 'arn:aws:ec2:eu-west-1:999999999999:instance/i-0c0ffee1234567890'),
      InvalidInputError,
      /in account "999999999999", not the finding's AwsAccountId 222222222222/,
    ],
    [
      'a Security Hub instance ARN in another region',
      sh(['Resources', 0, 'Id'], 'arn:aws:ec2:eu-central-1:222222222222:instance/i-0c0ffee1234567890'),
      InvalidInputError,
      /is in region eu-central-1, but the finding says eu-west-1/,
    ],
    [
      'a malicious Security Hub instance ARN',
      sh(['Resources', 0, 'Id'], 'arn:aws:ec2:eu-west-1:222222222222:instance/i-0c0ffee1234567890/../x'),
      InvalidInputError,
      /Resources\.0\.Id names no valid EC2 instance id/,
    ],
    [
      'an archived Security Hub import',
      sh(['RecordState'], 'ARCHIVED'),
      UnsupportedEventError,
      /archived, suppressed or resolved/,
    ],
    [
      'a resolved Security Hub import',
      sh(['Workflow'], { Status: 'RESOLVED' }),
      UnsupportedEventError,
      /archived, suppressed or resolved/,
    ],
    [
      'a suppressed Security Hub import',
      sh(['Workflow'], { Status: 'SUPPRESSED' }),
      UnsupportedEventError,
      /archived, suppressed or resolved/,
    ],
    [
      'a target in a region with no forensics account',
      request({ targets: [target('i-0c0ffee1234567890', '222222222222', 'us-east-1')] }),
      RegionNotConfiguredError,
      /region us-east-1 has no forensics account/,
    ],
    [
      'a GuardDuty finding from an unconfigured region',
      JSON.parse(
        JSON.stringify(fixture('guardduty-linux-network-connection.json')).replaceAll('eu-west-1', 'ap-southeast-2'),
      ),
      RegionNotConfiguredError,
      /region ap-southeast-2/,
    ],
    ['an unknown mode', request({ mode: 'destroy' }), InvalidInputError, /mode must be "collect" or "dry-run"/],
    ['a request without a mode', request({ mode: undefined }), InvalidInputError, /request: mode is required/],
    [
      'zero targets',
      request({ targets: [] }),
      InvalidInputError,
      /request: targets is invalid: needs at least one target/,
    ],
    [
      'more than 1000 targets',
      request({ targets: Array.from({ length: 1001 }, (_, i) => target(`i-${i.toString(16).padStart(8, '0')}`)) }),
      InvalidInputError,
      /at most 1000 targets/,
    ],
    [
      'a request target with a 13-digit account',
      request({ targets: [target('i-0c0ffee1234567890', '2222222222222')] }),
      InvalidInputError,
      /targets\.0\.accountId is invalid/,
    ],
    [
      'an unknown option',
      request({ options: { memory: true, wipeDisk: true } }),
      InvalidInputError,
      /unknown field "wipeDisk" in options/,
    ],
    [
      'an unknown top-level field',
      request({ priority: 'urgent' }),
      InvalidInputError,
      /unknown field "priority" in \(root\)/,
    ],
    [
      'a request without who asked',
      request({ requestedBy: '  ' }),
      InvalidInputError,
      /requestedBy is invalid: must name who asked/,
    ],
    [
      'a case id that is not a UUID',
      request({ caseId: '../../cases/other' }),
      InvalidInputError,
      /request: caseId is invalid/,
    ],
    [
      'a log window beyond 90 days',
      request({ options: { logWindowHours: 24 * 91 } }),
      InvalidInputError,
      /options\.logWindowHours is invalid/,
    ],
  ])('refuses %s', (_name, event, kind, message) => {
    const error = refusal(() => triage(event, deps));

    expect(error).toBeInstanceOf(kind);
    expect(error.name).toBe(kind.name);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });

  it('never echoes an attacker-controlled string unbounded', () => {
    const huge = `Instance${'A'.repeat(100_000)}\nforged log line`;

    const error = refusal(() => triage(gd(['detail', 'resource', 'resourceType'], huge), deps));

    expect(error).toBeInstanceOf(UnsupportedEventError);
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).not.toContain('\n');
    expect(error.message).not.toContain('forged log line');
  });

  it('refuses the whole request when one of several targets is in an unconfigured region', () => {
    const event = request({
      targets: [target('i-0c0ffee1234567890'), target('i-0b1d2e3f4a5b6c7d8', '222222222222', 'eu-central-1')],
    });

    const error = refusal(() => triage(event, deps));

    expect(error).toBeInstanceOf(RegionNotConfiguredError);
    expect((error as RegionNotConfiguredError).details).toEqual({ region: 'eu-central-1' });
  });
});
