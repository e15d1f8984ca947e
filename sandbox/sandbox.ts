// The simulated AWS organisation: holds the scenario's state, answers real SDK v3 clients through an initialize-step middleware.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AwsCredentialIdentity, Provider } from '@smithy/types';
import { awsError, unsupported } from './errors';
import { actionMatches, iamActionFor } from './iam-actions';
import type { AccountState, Fault, RegionState, Scenario } from './scenario';
import { RegionStateSchema } from './scenario';
import { SERVICES } from './services';

/** Who is calling: resolved from the access key of the client's credentials, as AWS does. */
export interface Caller {
  readonly accountId: string;
  readonly arn: string;
  readonly roleName?: string;
  readonly sessionName?: string;
}

/** Everything a service handler gets besides the command input. */
export interface CallContext {
  readonly sandbox: Sandbox;
  readonly caller: Caller;
  readonly region: string;
  readonly service: string;
  readonly operation: string;
  /** The caller's account. */
  readonly account: AccountState;
  /** The caller's account's state in the client's region. */
  readonly regionState: RegionState;
}

/** One call the sandbox answered (or refused), for tests and benchmarks to assert on. */
export interface CallRecord {
  readonly service: string;
  readonly operation: string;
  readonly accountId: string;
  readonly region: string;
  readonly principal: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly error?: string;
  readonly at: string;
}

interface SandboxClient {
  readonly middlewareStack: {
    add: (
      middleware: (
        next: (args: { input: object }) => Promise<unknown>,
        context: { clientName?: string; commandName?: string },
      ) => (args: { input: object }) => Promise<unknown>,
      options: { step: 'initialize'; name: string; priority?: 'high' | 'low' | 'normal' },
    ) => void;
  };
  readonly config: {
    credentials: Provider<AwsCredentialIdentity> | (() => Promise<AwsCredentialIdentity>);
    region: Provider<string> | string | (() => Promise<string>);
  };
}

export interface SandboxOptions {
  /** Folder where buckets keep their objects (a tabletop's --out). */
  readonly root: string;
  /** Milliseconds a simulated long operation (snapshot, SSM command) stays pending; 0 completes at the first poll. */
  readonly pendingMs?: number;
}

export const ORCHESTRATOR_ROLE = 'CustodyOrchestrator';

/** A simulated organisation built from a scenario; one instance per tabletop run or test. */
export class Sandbox {
  public readonly scenario: Scenario;
  public readonly root: string;
  public readonly pendingMs: number;
  public readonly calls: CallRecord[] = [];
  private readonly sessions = new Map<string, { caller: Caller; secretAccessKey: string; expiration: Date }>();
  private readonly faults: Array<Fault & { fired: number }>;
  private readonly orchestratorKey: AwsCredentialIdentity;

  public constructor(scenario: Scenario, options: SandboxOptions) {
    this.scenario = structuredClone(scenario);
    this.root = resolve(options.root);
    this.pendingMs = options.pendingMs ?? 0;
    this.faults = this.scenario.faults.map((fault) => ({ ...fault, fired: 0 }));
    mkdirSync(this.root, { recursive: true });
    const orchestrator = this.scenario.orchestratorAccountId;
    this.orchestratorKey = this.issueCredentials({
      accountId: orchestrator,
      arn: `arn:aws:sts::${orchestrator}:assumed-role/${ORCHESTRATOR_ROLE}/custody`,
      roleName: ORCHESTRATOR_ROLE,
      sessionName: 'custody',
    });
  }

  /** Credentials of the orchestrator's own role, the starting point of every client the factory builds. */
  public orchestratorCredentials(): AwsCredentialIdentity {
    return this.orchestratorKey;
  }

  /** Issues temporary credentials for a principal (what STS AssumeRole hands out). */
  public issueCredentials(caller: Caller, durationSeconds = 3600): AwsCredentialIdentity & { expiration: Date } {
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(20).toString('base64');
    const expiration = new Date(Date.now() + durationSeconds * 1000);
    this.sessions.set(accessKeyId, { caller, secretAccessKey, expiration });
    return { accessKeyId, secretAccessKey, sessionToken: randomBytes(32).toString('base64'), expiration };
  }

  public callerFor(accessKeyId: string): Caller | undefined {
    return this.sessions.get(accessKeyId)?.caller;
  }

  /** The secret of an issued access key, so the sandbox can check SigV4 signatures (presigned URLs) as AWS does. */
  public secretFor(accessKeyId: string): { secretAccessKey: string; expiration: Date } | undefined {
    const session = this.sessions.get(accessKeyId);
    return session && { secretAccessKey: session.secretAccessKey, expiration: session.expiration };
  }

  public account(accountId: string): AccountState | undefined {
    return this.scenario.accounts.find((account) => account.accountId === accountId);
  }

  /** The state of an account in a region; a region with nothing in it yet is created empty, as every region exists. */
  public regionState(accountId: string, region: string): RegionState {
    const account = this.account(accountId);
    if (!account) throw new Error(`sandbox has no account ${accountId}`);
    account.regions[region] ??= RegionStateSchema.parse({});
    return account.regions[region];
  }

  /** Whether any account of the organisation owns this bucket. */
  public bucketExists(name: string): boolean {
    return this.scenario.accounts.some((account) => account.buckets.some((bucket) => bucket.name === name));
  }

  /** A folder under the sandbox root, created on demand. */
  public dir(...parts: string[]): string {
    const path = join(this.root, ...parts);
    mkdirSync(path, { recursive: true });
    return path;
  }

  /** Writes the organisation's current state next to the buckets, so a tabletop can be inspected afterwards. */
  public saveState(): string {
    const path = join(this.root, 'sandbox-state.json');
    writeFileSync(path, JSON.stringify({ accounts: this.scenario.accounts, calls: this.calls.length }, null, 2));
    return path;
  }

  /** Calls made so far of one operation (e.g. `EC2`, `CreateTags`), for assertions. */
  public callsOf(service: string, operation: string): CallRecord[] {
    return this.calls.filter((call) => call.service === service && call.operation === operation);
  }

  /** Adds the answering middleware to an SDK v3 client; the client is otherwise unchanged. */
  public attach<T extends object>(client: T): T {
    const target = client as unknown as SandboxClient;
    target.middlewareStack.add(
      (_next, context) => async (args) => {
        const service = (context.clientName ?? '').replace(/Client$/, '');
        const operation = (context.commandName ?? '').replace(/Command$/, '');
        const output = await this.answer(target, service, operation, args.input as Record<string, unknown>);
        return {
          output: { ...(output as object), $metadata: { httpStatusCode: 200, requestId: 'sandbox' } },
          response: {},
        };
      },
      { step: 'initialize', name: 'custodySandbox', priority: 'high' },
    );
    return client;
  }

  private async answer(
    client: SandboxClient,
    service: string,
    operation: string,
    input: Record<string, unknown>,
  ): Promise<unknown> {
    const credentials = await resolveProvider(client.config.credentials);
    const region = await resolveProvider(client.config.region);
    const caller = this.sessions.get(credentials.accessKeyId)?.caller;
    const record = { service, operation, region, input: summarise(input), at: new Date().toISOString() };
    if (!caller) {
      this.calls.push({ ...record, accountId: '', principal: 'unknown', error: 'InvalidClientTokenId' });
      throw awsError(
        service === 'EC2' ? 'AuthFailure' : 'InvalidClientTokenId',
        'The security token included in the request is invalid.',
        { httpStatusCode: 403 },
      );
    }
    const base = { ...record, accountId: caller.accountId, principal: caller.arn };
    try {
      const output = await this.dispatch(caller, region, service, operation, input);
      this.calls.push(base);
      return output;
    } catch (error) {
      this.calls.push({ ...base, error: error instanceof Error ? error.name : 'Error' });
      throw error;
    }
  }

  private async dispatch(
    caller: Caller,
    region: string,
    service: string,
    operation: string,
    input: Record<string, unknown>,
  ): Promise<unknown> {
    await this.injectFault(caller, service, operation, input);
    const account = this.account(caller.accountId);
    if (!account)
      throw awsError('InvalidClientTokenId', `no such account ${caller.accountId}`, { httpStatusCode: 403 });
    this.authorise(account, caller, service, operation);
    if (service === 'EC2' && input.DryRun === true) {
      throw awsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', {
        httpStatusCode: 412,
      });
    }
    const handler = SERVICES[service]?.[operation];
    if (!handler) throw unsupported(service, operation);
    const lazyRegion = (): RegionState => this.regionState(caller.accountId, region);
    // The region's state is created only when a handler looks at it, so reads leave an untouched account byte-identical.
    const context: CallContext = {
      sandbox: this,
      caller,
      region,
      service,
      operation,
      account,
      get regionState() {
        return lazyRegion();
      },
    };
    return (handler as (ctx: CallContext, input: unknown) => unknown)(context, input);
  }

  /** Refuses an action the caller's role is denied, with the error name that service uses. */
  private authorise(account: AccountState, caller: Caller, service: string, operation: string): void {
    if (!caller.roleName) return;
    const role = account.roles.find((candidate) => candidate.roleName === caller.roleName);
    if (!role) return;
    const action = iamActionFor(service, operation);
    if (!role.deny.some((pattern) => actionMatches(pattern, action))) return;
    const message = `User: ${caller.arn} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`;
    throw awsError(ACCESS_DENIED[service] ?? 'AccessDeniedException', message, { httpStatusCode: 403 });
  }

  private async injectFault(
    caller: Caller,
    service: string,
    operation: string,
    input: Record<string, unknown>,
  ): Promise<void> {
    for (const fault of this.faults) {
      if (fault.service !== service || fault.operation !== operation) continue;
      if (fault.accountId && fault.accountId !== caller.accountId) continue;
      if (fault.match && !JSON.stringify(summarise(input)).includes(fault.match)) continue;
      if (fault.times !== undefined && fault.fired >= fault.times) continue;
      fault.fired += 1;
      if (fault.delayMs) await new Promise((done) => setTimeout(done, fault.delayMs));
      const server = /Throttl|Unavailable|Internal|SlowDown|Limit/.test(fault.error);
      throw awsError(fault.error, fault.message, {
        fault: server ? 'server' : 'client',
        httpStatusCode: server ? 503 : 400,
      });
    }
  }
}

/** The error name each service uses for a denied action (EC2's differs from the rest). */
const ACCESS_DENIED: Readonly<Record<string, string>> = {
  EC2: 'UnauthorizedOperation',
  S3: 'AccessDenied',
  STS: 'AccessDenied',
  IAM: 'AccessDenied',
  AutoScaling: 'AccessDenied',
  ElasticLoadBalancingV2: 'AccessDenied',
  SNS: 'AuthorizationError',
};

async function resolveProvider<T>(value: T | Provider<T> | (() => Promise<T>)): Promise<T> {
  return typeof value === 'function' ? await (value as () => Promise<T>)() : value;
}

/** A call's input without bodies or streams, small enough to keep for every call. */
function summarise(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'Body' || (key === 'Message' && typeof value === 'object')) continue;
    if (value instanceof Uint8Array) continue;
    out[key] = value;
  }
  return out;
}
