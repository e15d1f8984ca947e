// Parses Route 53 Resolver query-log records (JSON, one per CloudWatch Logs event).
/**
 * Fields per the Route 53 Developer Guide, "Values that appear in VPC Resolver query logs": version, account_id, region,
 * vpc_id, query_timestamp (ISO 8601 UTC), query_name, query_type, query_class, rcode, answers[{Rdata, Type, Class}],
 * srcaddr, srcport, transport, srcids{instance | resolver_endpoint}.
 */
export interface ResolverQuery {
  readonly queryTimestamp: string;
  /** As logged: fully qualified, with its trailing dot. */
  readonly queryName: string;
  readonly queryType: string;
  readonly rcode: string;
  readonly answers: readonly string[];
  readonly srcaddr?: string;
  readonly instanceId?: string;
  readonly vpcId?: string;
}

export function parseResolverQuery(message: string): ResolverQuery | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== 'object') return undefined;
  const record = raw as Record<string, unknown>;
  if (typeof record.query_timestamp !== 'string' || typeof record.query_name !== 'string') return undefined;
  const answers = Array.isArray(record.answers) ? (record.answers as Array<{ Rdata?: unknown }>) : [];
  return {
    queryTimestamp: record.query_timestamp,
    queryName: record.query_name,
    queryType: String(record.query_type ?? ''),
    rcode: String(record.rcode ?? ''),
    answers: answers.map((answer) => String(answer.Rdata ?? '')).filter(Boolean),
    srcaddr: typeof record.srcaddr === 'string' ? record.srcaddr : undefined,
    instanceId: (record.srcids as { instance?: string } | undefined)?.instance,
    vpcId: typeof record.vpc_id === 'string' ? record.vpc_id : undefined,
  };
}

/** `pool.example.` and `Pool.Example` name the same domain; a query for `a.pool.example` involves `pool.example`. */
export function normaliseDomain(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

export function domainInvolves(queryName: string, domain: string): boolean {
  const name = normaliseDomain(queryName);
  const wanted = normaliseDomain(domain);
  return name === wanted || name.endsWith(`.${wanted}`);
}
