// Triage accepts every trigger format and normalises it into one Case.
import { validate as isUuid, version as uuidVersion, v5 as uuidv5 } from 'uuid';
import { CaseSchema } from '../../tasks/lib/case';
import { actionIndicators } from '../../tasks/lib/triggers/guardduty';
import { CUSTODY_CASE_NAMESPACE, caseIdForFinding, parseEventText, triage, triageTask } from '../../tasks/triage';
import type { TaskDeps } from '../../tasks/lib/task';
import { OPENED_AT, config, deps, fixture, fixtureText } from './triage.helpers';

const GD_ARN =
  'arn:aws:guardduty:eu-west-1:222222222222:detector/12abc34d567e8fa901bc2d34e56789f0/finding/b2c9a1f03e4d5c6b7a8f9e0d1c2b3a4f';
const WEB = { instanceId: 'i-0c0ffee1234567890', accountId: '222222222222', region: 'eu-west-1' };
const JUMP = { instanceId: 'i-0b1d2e3f4a5b6c7d8', accountId: '222222222222', region: 'eu-west-1' };

describe('triage of a GuardDuty finding', () => {
  it("accepts a GuardDuty sample finding, whose fields hold GuardDuty's placeholder values, for a rehearsal", () => {
    const opened = triage(fixture('guardduty-sample-spambot.json'), deps);
    expect(opened.targets).toEqual([{ instanceId: 'i-99999999', accountId: '222222222222', region: 'eu-west-1' }]);
    expect(opened.finding).toMatchObject({ type: 'Backdoor:EC2/Spambot', region: 'eu-west-1' });
  });

  it('opens a collect case for the Linux instance talking to a C2 server, with the remote IP and port', () => {
    const opened = triage(fixture('guardduty-linux-network-connection.json'), deps);

    expect(opened).toEqual({
      caseId: uuidv5(GD_ARN, CUSTODY_CASE_NAMESPACE),
      mode: 'collect',
      trigger: 'guardduty',
      targets: [WEB],
      finding: {
        source: 'guardduty',
        id: 'b2c9a1f03e4d5c6b7a8f9e0d1c2b3a4f',
        arn: GD_ARN,
        type: 'Backdoor:EC2/C&CActivity.B',
        title: 'EC2 instance i-0c0ffee1234567890 is communicating with a known command and control server.',
        severity: 80,
        severityLabel: 'HIGH',
        accountId: '222222222222',
        region: 'eu-west-1',
        firstSeen: '2026-11-27T21:58:02.000Z',
        lastSeen: '2026-11-27T22:36:51.000Z',
        updatedAt: '2026-11-27T22:40:58.019Z',
        count: 14,
        remoteIps: ['198.51.100.23'],
        domains: [],
        ports: [4444],
        actionType: 'NETWORK_CONNECTION',
      },
      requestedBy: 'aws.guardduty (EventBridge)',
      reason:
        'GuardDuty Backdoor:EC2/C&CActivity.B: EC2 instance i-0c0ffee1234567890 is communicating with a known command and control server.',
      options: {
        isolate: true,
        memory: true,
        volatile: true,
        logs: true,
        snapshots: true,
        logWindowHours: 24,
        isolationPolicy: 'capture-first',
      },
      openedAt: OPENED_AT.toISOString(),
    });
    expect(uuidVersion(opened.caseId)).toBe(5);
  });

  it('keeps the queried mining-pool domain of a DNS_REQUEST finding, lower-cased without the trailing dot', () => {
    const opened = triage(fixture('guardduty-linux-dns-request.json'), deps);

    expect(opened.targets).toEqual([WEB]);
    expect(opened.finding).toMatchObject({
      actionType: 'DNS_REQUEST',
      domains: ['pool.minexmr.example'],
      remoteIps: [],
      count: 37,
    });
  });

  it('targets the probed Windows jump host and keeps every probing IP (v4 and v6) and probed port', () => {
    const opened = triage(fixture('guardduty-windows-port-probe.json'), deps);

    expect(opened.targets).toEqual([JUMP]);
    expect(opened.finding).toMatchObject({
      actionType: 'PORT_PROBE',
      remoteIps: ['192.0.2.10', '192.0.2.11', '2001:db8::42'],
      ports: [3389, 5985],
      severity: 20,
      severityLabel: 'LOW',
    });
  });

  it('maps the same finding re-delivered with a later updatedAt and a higher count to the same case', () => {
    const first = triage(fixture('guardduty-linux-network-connection.json'), deps);
    const again = fixture('guardduty-linux-network-connection.json');
    const detail = again.detail as { updatedAt: string; service: { count: number; eventLastSeen: string } };
    detail.updatedAt = '2026-11-28T01:10:00.000Z';
    detail.service.count = 31;
    detail.service.eventLastSeen = '2026-11-28T01:05:00.000Z';
    again.id = 'f1e2d3c4-0000-4000-8000-000000000001';

    const second = triage(again, { config, now: () => new Date('2026-11-28T01:11:00Z') });

    expect(second.caseId).toBe(first.caseId);
    expect(second.finding).toMatchObject({ count: 31, updatedAt: '2026-11-28T01:10:00.000Z' });
  });

  it('gives two different findings on the same instance two different cases', () => {
    const c2 = triage(fixture('guardduty-linux-network-connection.json'), deps);
    const dns = triage(fixture('guardduty-linux-dns-request.json'), deps);

    expect(dns.caseId).not.toBe(c2.caseId);
  });

  it('reads remote IPs and the domain of an AWS_API_CALL action', () => {
    const found = actionIndicators({
      actionType: 'AWS_API_CALL',
      awsApiCallAction: {
        api: 'GetObject',
        remoteIpDetails: { ipAddressV4: '198.51.100.9' },
        domainDetails: { domain: 'exfil.example.net' },
      },
    });

    expect(found).toEqual({
      actionType: 'AWS_API_CALL',
      remoteIps: ['198.51.100.9'],
      domains: ['exfil.example.net'],
      ports: [],
    });
  });

  it('drops indicators that are not IP addresses, DNS names or ports instead of carrying them into the case', () => {
    const found = actionIndicators({
      networkConnectionAction: {
        remoteIpDetails: { ipAddressV4: '1.2.3.4; curl evil' },
        remotePortDetails: { port: 70000 },
      },
      dnsRequestAction: { domain: 'evil.example/../../etc' },
    });

    expect(found).toEqual({ actionType: undefined, remoteIps: [], domains: [], ports: [] });
  });
});

describe('triage of a Security Hub finding', () => {
  it("names the same ports as the GuardDuty event for an inbound connection: the attacker's and the local service port", () => {
    const event = fixture('securityhub-imported-guardduty.json') as {
      detail: { findings: Array<{ ProductFields: Record<string, string> }> };
    };
    const fields = event.detail.findings[0].ProductFields;
    const action = 'aws/guardduty/service/action/networkConnectionAction';
    Object.assign(fields, {
      [`${action}/connectionDirection`]: 'INBOUND',
      [`${action}/remotePortDetails/port`]: '46717',
      [`${action}/localPortDetails/port`]: '22',
    });
    expect(triage(event, deps).finding?.ports).toEqual([46717, 22]);
    fields[`${action}/connectionDirection`] = 'OUTBOUND';
    expect(triage(event, deps).finding?.ports).toEqual([46717]);
  });

  it('opens the SAME case for a GuardDuty finding that arrives through Security Hub as for the direct GuardDuty event', () => {
    const direct = triage(fixture('guardduty-linux-network-connection.json'), deps);
    const viaHub = triage(fixture('securityhub-imported-guardduty.json'), deps);

    expect(viaHub.caseId).toBe(direct.caseId);
    expect(viaHub.trigger).toBe('securityhub');
    expect(viaHub.targets).toEqual([WEB]);
    expect(viaHub.finding).toMatchObject({
      source: 'securityhub',
      arn: GD_ARN,
      severity: 80,
      severityLabel: 'HIGH',
      count: 14,
      remoteIps: ['198.51.100.23'],
      ports: [4444],
      actionType: 'NETWORK_CONNECTION',
      productArn: 'arn:aws:securityhub:eu-west-1::product/aws/guardduty',
    });
  });

  it('targets both EC2 instances of a finding and ignores its security-group resource', () => {
    const opened = triage(fixture('securityhub-imported-two-instances.json'), deps);

    expect(opened.targets).toEqual([WEB, JUMP]);
    expect(opened.caseId).toBe(
      caseIdForFinding(
        'arn:aws:securityhub:eu-west-1:222222222222:product/222222222222/default/nids-alert-20261128-0042',
      ),
    );
    // Only Severity.Label was given: Security Hub's documented Normalized value for CRITICAL is 90.
    expect(opened.finding).toMatchObject({
      severity: 90,
      severityLabel: 'CRITICAL',
      remoteIps: ['10.20.2.14'],
      ports: [445],
    });
  });

  it('records the custom action a responder picked as who asked and why', () => {
    const opened = triage(fixture('securityhub-custom-action.json'), deps);

    expect(opened.targets).toEqual([WEB]);
    expect(opened.requestedBy).toBe('Security Hub custom action "Collect evidence"');
    expect(opened.reason).toBe(
      'Start a Custody evidence collection for the selected finding — Security Hub Software and Configuration Checks/Vulnerabilities/CVE: CVE-2024-6387 - openssh',
    );
    expect(opened.caseId).toBe(
      caseIdForFinding(
        'arn:aws:securityhub:eu-west-1::product/aws/inspector/arn:aws:inspector2:eu-west-1:222222222222:finding/5f0e1d2c3b4a59687766554433221100',
      ),
    );
  });

  it('honours a custom action on an archived finding, because a responder chose it explicitly', () => {
    const event = fixture('securityhub-custom-action.json');
    (event.detail as { findings: Record<string, unknown>[] }).findings[0].RecordState = 'ARCHIVED';

    expect(triage(event, deps).targets).toEqual([WEB]);
  });
});

describe('triage of a request', () => {
  it('opens a collect case with each instance once and the options given, defaults for the rest', () => {
    const opened = triage(fixture('request-collect.json'), deps);

    expect(opened.trigger).toBe('manual');
    expect(opened.mode).toBe('collect');
    expect(opened.targets).toEqual([WEB, JUMP]);
    expect(opened.finding).toBeUndefined();
    expect(opened.requestedBy).toBe('alice@example.com (IR on-call)');
    expect(opened.options).toEqual({
      isolate: true,
      memory: true,
      volatile: true,
      logs: true,
      snapshots: true,
      logWindowHours: 72,
      isolationPolicy: 'capture-first',
    });
    expect(isUuid(opened.caseId) && uuidVersion(opened.caseId)).toBe(4);
  });

  it('opens a dry-run case that keeps the requested isolation policy', () => {
    const opened = triage(fixture('request-dry-run.json'), deps);

    expect(opened.mode).toBe('dry-run');
    expect(opened.options.isolationPolicy).toBe('endpoints-only');
  });

  it('takes the isolation policy from the configuration when the request does not name one', () => {
    const opened = triage(fixture('request-collect.json'), {
      config: { ...config, isolationPolicy: 'full' },
      now: deps.now,
    });

    expect(opened.options.isolationPolicy).toBe('full');
  });

  it('keeps a case id the request names, so a re-run joins its case', () => {
    const request = { ...fixture('request-dry-run.json'), caseId: '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f' };

    expect(triage(request, deps).caseId).toBe('6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f');
  });

  it('opens a fresh case id for each request that names none', () => {
    expect(triage(fixture('request-collect.json'), deps).caseId).not.toBe(
      triage(fixture('request-collect.json'), deps).caseId,
    );
  });
});

describe('the Triage state', () => {
  it('turns the raw execution input into { case } without touching AWS or the evidence store', async () => {
    const touched: string[] = [];
    const refuse = (what: string) => () => {
      touched.push(what);
      throw new Error(`triage must not use ${what}`);
    };
    const taskDeps = {
      ...deps,
      clients: new Proxy({}, { get: (_t, name) => refuse(`clients.${String(name)}`) }),
      store: refuse('store'),
      actor: { principal: 'arn:aws:sts::111111111111:assumed-role/CustodyOrchestrator/custody', execution: 'test' },
    } as unknown as TaskDeps;

    const output = await triageTask.core(
      parseEventText(fixtureText('guardduty-linux-network-connection.json')),
      taskDeps,
    );

    expect(triageTask.name).toBe('Triage');
    expect(CaseSchema.parse(output.case)).toEqual(output.case);
    expect(output.case.caseId).toBe(caseIdForFinding(GD_ARN));
    expect(touched).toEqual([]);
    expect(JSON.stringify(output).length).toBeLessThan(256 * 1024);
  });
});
