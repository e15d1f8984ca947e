// Correlations over the timeline: the questions a responder asks first, each answered with the events that support it.
import { domainInvolves } from './dns-log';
import type { TimelineEvent } from './timeline';

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export interface EvidenceRef {
  /** Evidence object key (relative to the case prefix) and 1-based line in it; the same pair is on the timeline line. */
  readonly key: string;
  readonly line: number;
  readonly datetime: string;
  readonly message: string;
}

export interface Correlation {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly question: string;
  /** Events that answer the question (all of them are counted; the first `maxEvidence` by time are listed). */
  readonly count: number;
  readonly evidence: EvidenceRef[];
}

export interface CorrelationContext {
  /** Instance id → its own addresses (private and public), from the collector's query record. */
  readonly instances: ReadonlyMap<string, ReadonlySet<string>>;
  readonly remoteIps: readonly string[];
  readonly domains: readonly string[];
  readonly firstSeen?: string;
  readonly maxEvidence?: number;
}

// Denied calls in CloudTrail's errorCode: IAM/STS/S3 `AccessDenied`, JSON services `AccessDeniedException`, EC2 `Client.UnauthorizedOperation`.
const DENIED = /AccessDenied|UnauthorizedOperation|Unauthorized|Forbidden/;
// CloudTrail records tlsDetails.tlsVersion as `TLSv1`, `TLSv1.1`, `TLSv1.2` or `TLSv1.3` (CloudTrail record contents).
const LEGACY_TLS = new Set(['TLSv1', 'TLSv1.0', 'TLSv1.1']);
const IP = /^(?:\d{1,3}\.){3}\d{1,3}$|^[0-9a-f:]+:[0-9a-f:]*$/i;
// Services whose every call after the first sighting matters, read-only or not (reconnaissance of identities and data).
const SENSITIVE_SERVICES = /^(iam|s3|sts|kms|organizations|secretsmanager)\./;

/** Collects correlations as events stream past, in any order; memory is bounded by `maxEvidence` per correlation. */
export class Correlator {
  private readonly found = new Map<
    string,
    { meta: Omit<Correlation, 'count' | 'evidence'>; count: number; evidence: EvidenceRef[] }
  >();
  private readonly max: number;
  private readonly firstSeen: number;

  public constructor(private readonly context: CorrelationContext) {
    this.max = context.maxEvidence ?? 200;
    this.firstSeen = context.firstSeen ? Date.parse(context.firstSeen) : Number.NaN;
  }

  public observe(event: TimelineEvent): void {
    if (event.source === 'cloudtrail') this.cloudTrail(event);
    else if (event.source === 'vpc-flow') this.flow(event);
    else if (event.source === 'dns') this.dns(event);
  }

  /** The correlations that have supporting events, most severe first, evidence in time order. */
  public results(): Correlation[] {
    const order: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
    return [...this.found.values()]
      .map(({ meta, count, evidence }) => ({
        ...meta,
        count,
        evidence: [...evidence]
          .sort((a, b) => a.datetime.localeCompare(b.datetime) || a.line - b.line)
          .slice(0, this.max),
      }))
      .sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity) || a.id.localeCompare(b.id));
  }

  private add(meta: Omit<Correlation, 'count' | 'evidence'>, event: TimelineEvent): void {
    const entry = this.found.get(meta.id) ?? { meta, count: 0, evidence: [] };
    this.found.set(meta.id, entry);
    entry.count += 1;
    const ref = { key: event.evidence, line: event.evidence_line, datetime: event.datetime, message: event.message };
    entry.evidence.push(ref);
    // Keep the earliest `max` by time: the start of an activity is what a responder reads first.
    if (entry.evidence.length > this.max * 2)
      entry.evidence = entry.evidence.sort((a, b) => a.datetime.localeCompare(b.datetime)).slice(0, this.max);
  }

  private cloudTrail(event: TimelineEvent): void {
    const session = event.session_name as string | undefined;
    const addresses = session ? this.context.instances.get(session) : undefined;
    if (!session || !addresses) return;
    const error = event.error_code as string | undefined;
    if (error && DENIED.test(error)) {
      this.add(
        {
          id: `denied-calls:${session}`,
          title: `API calls denied to ${session}'s role`,
          severity: 'high',
          question: `Did anyone using ${session}'s instance credentials try actions its role does not allow?`,
        },
        event,
      );
    }
    const tls = event.tls_version as string | undefined;
    if (tls && LEGACY_TLS.has(tls)) {
      this.add(
        {
          id: `legacy-tls:${session}`,
          title: `Calls made over ${tls} with ${session}'s credentials`,
          severity: 'medium',
          question: 'Which calls used TLS 1.0 or 1.1 (old tooling, unlike the SDKs on the instance)?',
        },
        event,
      );
    }
    const source = String(event.source_ip ?? '');
    if (IP.test(source) && !addresses.has(source)) {
      this.add(
        {
          id: `credentials-outside:${session}`,
          title: `${session}'s instance credentials used from outside the instance`,
          severity: 'critical',
          question: `Were ${session}'s role credentials used from an address that is not the instance's (exfiltrated credentials)?`,
        },
        event,
      );
    }
    const after = Date.parse(event.datetime) >= this.firstSeen;
    if (after && (event.read_only === false || SENSITIVE_SERVICES.test(String(event.event_source)))) {
      this.add(
        {
          id: `after-first-seen:${session}`,
          title: `Actions by ${session}'s role after the finding was first seen`,
          severity: 'high',
          question: 'What did the instance role do after the suspicious activity began (IAM, S3 and other changes)?',
        },
        event,
      );
    }
  }

  private flow(event: TimelineEvent): void {
    if (event.action === 'REJECT' && event.protocol === 'tcp') {
      this.add(
        {
          id: 'rejected-tcp',
          title: 'Rejected TCP connections',
          severity: 'low',
          question: 'Which TCP connections to or from the instance were refused?',
        },
        event,
      );
    }
    for (const ip of this.context.remoteIps) {
      if (event.src_ip === ip || event.dst_ip === ip) {
        this.add(
          {
            id: `finding-ip:${ip}`,
            title: `Traffic with ${ip} (named in the finding)`,
            severity: 'high',
            question: `What did the instance exchange with ${ip}, and when did it start?`,
          },
          event,
        );
      }
    }
  }

  private dns(event: TimelineEvent): void {
    const name = String(event.query_name ?? '');
    const answers = (event.answers as string[] | undefined) ?? [];
    for (const domain of this.context.domains) {
      if (domainInvolves(name, domain)) {
        this.add(
          {
            id: `finding-domain:${domain}`,
            title: `DNS queries for ${domain} (named in the finding)`,
            severity: 'high',
            question: `When did the instance look up ${domain}, and what did it resolve to?`,
          },
          event,
        );
      }
    }
    for (const ip of this.context.remoteIps) {
      if (answers.includes(ip)) {
        this.add(
          {
            id: `finding-ip-dns:${ip}`,
            title: `DNS answers pointing at ${ip} (named in the finding)`,
            severity: 'high',
            question: `Which names led the instance to ${ip}?`,
          },
          event,
        );
      }
    }
  }
}
