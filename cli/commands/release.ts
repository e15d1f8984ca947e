// `custody release CASE`: undoes a case's containment from its custody log, and records every restoration in that same log.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Case } from '../../tasks/lib/case';
import { CaseSchema } from '../../tasks/lib/case';
import { casePrefix, createCaseStore, readCustodyEntries, readObject } from '../../tasks/lib/case-store';
import type { CustodyConfig } from '../../tasks/lib/config';
import type { ReleasePlan } from '../../tasks/lib/containment/release-plan';
import { hasContainment, releasePlan } from '../../tasks/lib/containment/release-plan';
import type { CustodyEntry } from '../../tasks/lib/custody-log';
import { parseEntry, parseJsonl, seqOfKey } from '../../tasks/lib/custody-log';
import { errorMessage, errorName, InvalidInputError, RegionNotConfiguredError } from '../../tasks/lib/errors';
import type { TaskDeps } from '../../tasks/lib/task';
import { releaseIsolation } from '../../tasks/release-isolation';
import type { ReleaseIsolationOutput } from '../../tasks/release-isolation';
import type { AwsContext, AwsOptions, CommandEnv } from '../aws-context';
import { announceIdentity, loadCliConfig, resolveAwsContext } from '../aws-context';
import type { CliIo, ExitCode } from '../io';
import { EXIT } from '../io';

export interface ReleaseOptions extends AwsOptions {
  /** Print what would be restored and change nothing (the only mode a local case folder allows). */
  readonly plan?: boolean;
  /** Release only this instance of the case. */
  readonly instance?: string;
}

/** One region's share of a case: its case.json and custody log live in that region's evidence bucket only. */
interface RegionalCase {
  readonly region: string;
  readonly case: Case;
  readonly entries: readonly CustodyEntry[];
}

const CASE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const S3_CASE = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/cases\/([^/]+)\/?$/;

export async function releaseCommand(
  caseRef: string,
  options: ReleaseOptions,
  io: CliIo,
  env: CommandEnv = {},
): Promise<ExitCode> {
  if (isFolder(caseRef)) {
    if (!options.plan)
      throw new InvalidInputError(
        `${caseRef} is a local copy of a case: inspect it with --plan; release acts on the case in its evidence bucket`,
      );
    return printPlans([readLocalCase(caseRef, options.instance)], io);
  }
  const config = loadCliConfig(options, env);
  const { caseId, regions } = locate(caseRef, options, config);
  // The orchestrator's region is the state machine's; --region here picks the evidence region, as for `custody start`.
  const context = resolveAwsContext({ ...options, region: undefined }, env, !options.plan, config);
  const identity = await announceIdentity(context, io);
  const found: RegionalCase[] = [];
  for (const region of regions) {
    const regional = await readRegionalCase(context, config, caseId, region, options.instance);
    if (regional) found.push(regional);
  }
  if (found.length === 0) {
    io.err(
      `no case ${caseId}${options.instance ? ` with instance ${options.instance}` : ''} in the evidence bucket of ${regions.join(', ')}`,
    );
    return EXIT.badInput;
  }
  if (options.plan) return printPlans(found, io);

  const now = (): Date => new Date();
  const actor = { principal: identity.arn, execution: 'custody release' };
  const deps: TaskDeps = {
    config,
    clients: context.clients,
    actor,
    now,
    store: (id, region) => createCaseStore({ caseId: id, region, config, clients: context.clients, actor, now }),
  };
  let code: ExitCode = EXIT.ok;
  for (const regional of found) {
    const result = await releaseRegion(regional, options.instance, deps, io);
    if (result !== EXIT.ok) code = result;
  }
  return code;
}

async function releaseRegion(
  regional: RegionalCase,
  instanceId: string | undefined,
  deps: TaskDeps,
  io: CliIo,
): Promise<ExitCode> {
  let output: ReleaseIsolationOutput;
  try {
    output = await releaseIsolation(
      { case: regional.case, entries: [...regional.entries], ...(instanceId ? { instanceId } : {}) },
      deps,
    );
  } catch (error) {
    const name = errorName(error);
    if (name === 'CaseNotFoundError') {
      io.err(`${regional.region}: ${errorMessage(error)}`);
      return EXIT.badInput;
    }
    if (name !== 'IsolationChangedError') throw error;
    io.err(`${regional.region}: nothing was released: ${errorMessage(error)}`);
    return EXIT.failed;
  }
  for (const instance of output.instances) {
    const plan = releasePlan(regional.entries, instance.instanceId);
    io.out(`${instance.instanceId} (${regional.region}): ${instance.status}`);
    for (const step of instance.restored) io.out(`  restored ${describeStep(step, plan)}`);
  }
  for (const gap of output.gaps) io.err(`  gap ${gap.target} ${gap.step}: ${gap.reason}`);
  const failed = output.gaps.some((gap) => / not restored: /.test(gap.reason));
  return failed ? EXIT.failed : EXIT.ok;
}

/** The case id and the regions whose evidence buckets may hold it. */
function locate(
  caseRef: string,
  options: ReleaseOptions,
  config: CustodyConfig,
): { caseId: string; regions: string[] } {
  const s3 = S3_CASE.exec(caseRef);
  const caseId = s3 ? s3[2] : caseRef;
  if (!CASE_ID.test(caseId))
    throw new InvalidInputError(`not a case id, case folder or s3://<bucket>/cases/<caseId>/ location: ${caseRef}`);
  const configured = Object.keys(config.regions).sort();
  let regions = configured;
  if (s3) {
    regions = configured.filter((region) => config.regions[region].evidenceBucket === s3[1]);
    if (regions.length === 0)
      throw new InvalidInputError(`bucket ${s3[1]} is not the evidence bucket of any configured region`);
  }
  if (options.region) {
    if (!config.regions[options.region])
      throw new RegionNotConfiguredError(`region ${options.region} has no forensics account in the configuration`, {
        region: options.region,
      });
    regions = regions.filter((region) => region === options.region);
    if (regions.length === 0) throw new InvalidInputError(`--region ${options.region} is not the region of ${caseRef}`);
  }
  return { caseId, regions };
}

async function readRegionalCase(
  context: AwsContext,
  config: CustodyConfig,
  caseId: string,
  region: string,
  instanceId?: string,
): Promise<RegionalCase | undefined> {
  const bucket = config.regions[region].evidenceBucket;
  const s3 = context.clients.forensics(region).s3();
  let custodyCase: Case;
  try {
    custodyCase = CaseSchema.parse(
      JSON.parse((await readObject(s3, bucket, `${casePrefix(caseId)}case.json`)).toString('utf8')),
    );
  } catch (error) {
    if (errorName(error) === 'NoSuchKey') return undefined;
    throw error;
  }
  if (instanceId && !custodyCase.targets.some((target) => target.instanceId === instanceId)) return undefined;
  return { region, case: custodyCase, entries: await readCustodyEntries(s3, bucket, caseId) };
}

/** A case folder as the sandbox keeps it or as copied out of S3: case.json plus custody/<seq>.json (or the sealed custody.jsonl). */
function readLocalCase(folder: string, instanceId?: string): RegionalCase {
  const caseFile = join(folder, 'case.json');
  if (!existsSync(caseFile)) throw new InvalidInputError(`${folder} has no case.json: not a case folder`);
  const custodyCase = CaseSchema.parse(JSON.parse(readFileSync(caseFile, 'utf8')));
  if (instanceId && !custodyCase.targets.some((target) => target.instanceId === instanceId)) {
    throw new InvalidInputError(`case ${custodyCase.caseId} has no instance ${instanceId}`);
  }
  const entryDir = join(folder, 'custody');
  const perEntry = isFolder(entryDir)
    ? readdirSync(entryDir)
        .filter((name) => seqOfKey(name) !== undefined)
        .map((name) => parseEntry(readFileSync(join(entryDir, name), 'utf8')))
        .filter((entry): entry is CustodyEntry => entry !== undefined)
    : [];
  const sealed = join(folder, 'custody.jsonl');
  const entries =
    perEntry.length > 0 || !existsSync(sealed) ? perEntry : parseJsonl(readFileSync(sealed, 'utf8')).entries;
  const region = custodyCase.targets[0]?.region ?? 'unknown';
  return {
    region,
    case: instanceId
      ? { ...custodyCase, targets: custodyCase.targets.filter((t) => t.instanceId === instanceId) }
      : custodyCase,
    entries,
  };
}

function printPlans(cases: readonly RegionalCase[], io: CliIo): ExitCode {
  for (const regional of cases) {
    io.out(`Case ${regional.case.caseId} in ${regional.region}: ${regional.entries.length} custody entries`);
    for (const target of regional.case.targets) {
      const plan = releasePlan(regional.entries, target.instanceId);
      if (!hasContainment(plan)) {
        io.out(`${target.instanceId}: nothing to release`);
        continue;
      }
      io.out(`${target.instanceId}: would restore`);
      for (const step of planSteps(plan))
        io.out(`  ${plan.released.has(step) ? '(already released) ' : ''}${describeStep(step, plan)}`);
    }
  }
  return EXIT.ok;
}

function planSteps(plan: ReleasePlan): string[] {
  return [
    ...(plan.networkInterfaces.size > 0 ? ['network'] : []),
    ...(plan.autoScalingGroup ? ['auto-scaling-group'] : []),
    ...(plan.targetGroups.length > 0 ? ['target-groups'] : []),
    ...plan.revokePolicies.map((policy) => `credentials:${policy.roleName}`),
  ];
}

/** A responder-readable line for one release step, with what it puts back. */
export function describeStep(step: string, plan: ReleasePlan): string {
  if (step === 'network') {
    return `security groups: ${[...plan.networkInterfaces].map(([eni, groups]) => `${eni} → ${groups.join(', ')}`).join('; ')}`;
  }
  if (step === 'auto-scaling-group') return `Auto Scaling group: ${plan.autoScalingGroup?.name ?? '?'}`;
  if (step === 'target-groups')
    return `target groups: ${plan.targetGroups.map((group) => `${group.targetGroupArn} port ${group.port}`).join('; ')}`;
  if (step.startsWith('credentials:')) {
    const role = step.slice('credentials:'.length);
    const policies = plan.revokePolicies
      .filter((policy) => policy.roleName === role)
      .map((policy) => policy.policyName);
    return `role ${role}: session-revocation policy ${policies.join(', ')} removed`;
  }
  return step;
}

function isFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}
