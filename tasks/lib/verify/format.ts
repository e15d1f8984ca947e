// Renders a VerifyReport as the lines `custody verify` prints for a human (the CLI prints JSON itself for --json).
import type { VerifyReport } from './types';

const MARK = { compliant: 'PASS', 'non-compliant': 'FAIL', 'not-applicable': 'SKIP' } as const;

export function formatVerifyReport(report: VerifyReport): string[] {
  const lines: string[] = [`custody verify ${report.location}`];
  const key = report.keyId
    ? `, signed by ${report.keyId} (${report.keyPinned ? 'key pinned' : 'key taken from the manifest, not pinned'})`
    : '';
  lines.push(
    `case ${report.caseId ?? 'unknown'}: ${report.sealed ? `sealed ${report.sealedAt}` : 'not sealed'}, ${report.entries} custody entries${key}`,
  );
  const counts = report.counts;
  lines.push(
    `artifacts: ${counts.ok} ok, ${counts.altered} altered, ${counts.missing} missing, ${counts.unlisted} unlisted`,
  );
  for (const check of report.checks) {
    lines.push(`${MARK[check.status]} ${check.check}${check.note ? ` — ${check.note}` : ''}`);
    for (const issue of check.issues) lines.push(`  ${issue.kind.toUpperCase()} ${issue.message}`);
  }
  lines.push(
    report.ok
      ? 'RESULT: OK — every artifact, entry and signature holds'
      : `RESULT: FAILED — ${report.checks.reduce((n, check) => n + check.issues.length, 0)} problem(s)`,
  );
  return lines;
}
