// test/infra/scan.ts
var import_node_fs2 = require("node:fs");
var import_node_path2 = require("node:path");

// tasks/lib/paths.ts
var import_node_fs = require("node:fs");
var import_node_path = require("node:path");
var cached;
function projectRoot() {
  if (cached) return cached;
  let dir = __dirname;
  for (; ; ) {
    const candidate = (0, import_node_path.join)(dir, "package.json");
    if ((0, import_node_fs.existsSync)(candidate) && JSON.parse((0, import_node_fs.readFileSync)(candidate, "utf8")).name === "custody") {
      cached = dir;
      return dir;
    }
    const parent = (0, import_node_path.dirname)(dir);
    if (parent === dir) throw new Error("cannot find the custody package root");
    dir = parent;
  }
}

// tasks/lib/permissions.ts
var EBS_KMS = ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"];
var SSE_KMS = ["kms:GenerateDataKey", "kms:Decrypt"];
var TASK_CALLS = {
  "tasks/analyze-case.ts": { forensics: ["S3:GetObjectCommand", "S3:ListObjectsV2Command"], implied: { forensics: ["kms:Decrypt"] } },
  "tasks/capture-memory.ts": {
    member: ["SSM:SendCommandCommand"],
    forensics: ["S3:AbortMultipartUploadCommand"],
    // The instance downloads the staged tool through a presigned GET signed by the evidence writer (SSE-KMS object).
    implied: { forensics: ["s3:GetObject", "kms:Decrypt"] }
  },
  "tasks/check-command.ts": {
    member: ["SSM:CancelCommandCommand", "SSM:GetCommandInvocationCommand"],
    forensics: ["S3:AbortMultipartUploadCommand", "S3:CompleteMultipartUploadCommand", "S3:HeadObjectCommand", "S3:ListPartsCommand"],
    // HeadObject names the VersionId CompleteMultipartUpload returned, which S3 authorises as s3:GetObjectVersion.
    implied: { forensics: [...SSE_KMS, "s3:GetObjectVersion"] }
  },
  "tasks/check-snapshot-copies.ts": { member: ["EC2:DescribeSnapshotsCommand"], forensics: ["EC2:DescribeSnapshotsCommand"] },
  "tasks/check-snapshots.ts": { member: ["EC2:DescribeSnapshotsCommand"] },
  "tasks/collect-volatile.ts": { member: ["SSM:SendCommandCommand"], forensics: ["S3:AbortMultipartUploadCommand"] },
  "tasks/copy-snapshots.ts": {
    member: ["EC2:CopySnapshotCommand", "EC2:ModifySnapshotAttributeCommand"],
    forensics: ["EC2:CopySnapshotCommand"],
    // An encrypted copy makes EBS use the destination key through grants (Amazon EBS User Guide, "Copy an Amazon EBS snapshot").
    implied: { member: [...EBS_KMS], forensics: [...EBS_KMS] }
  },
  "tasks/contain-credentials.ts": {
    member: [
      "EC2:DescribeIamInstanceProfileAssociationsCommand",
      "EC2:DisassociateIamInstanceProfileCommand",
      "IAM:GetInstanceProfileCommand",
      "IAM:GetRolePolicyCommand",
      "IAM:ListRolePoliciesCommand",
      "IAM:PutRolePolicyCommand"
    ]
  },
  "tasks/detach-from-fleet.ts": { member: ["AutoScaling:DetachInstancesCommand", "ElasticLoadBalancingV2:DeregisterTargetsCommand"] },
  "tasks/examine-evidence.ts": { forensics: ["S3:GetObjectCommand"], implied: { forensics: ["kms:Decrypt"] } },
  "tasks/isolate-network.ts": {
    member: [
      "EC2:AuthorizeSecurityGroupIngressCommand",
      "EC2:CreateSecurityGroupCommand",
      "EC2:ModifyNetworkInterfaceAttributeCommand",
      "EC2:RevokeSecurityGroupEgressCommand"
    ]
  },
  "tasks/preserve-instance.ts": {
    member: [
      "EC2:CreateTagsCommand",
      "EC2:DescribeInstanceAttributeCommand",
      "EC2:DescribeInstanceTypesCommand",
      "EC2:DescribeInstancesCommand",
      "EC2:DescribeVolumesCommand",
      "EC2:ModifyInstanceAttributeCommand"
    ]
  },
  "tasks/notify.ts": { orchestrator: ["SNS:PublishCommand", "SecurityHub:BatchUpdateFindingsCommand"] },
  // Not a Task state: `custody release` runs it with the responder role, so the role carries the undo of each isolation step.
  "tasks/release-isolation.ts": {
    member: [
      "AutoScaling:AttachInstancesCommand",
      "EC2:ModifyNetworkInterfaceAttributeCommand",
      "ElasticLoadBalancingV2:RegisterTargetsCommand",
      "IAM:DeleteRolePolicyCommand"
    ]
  },
  "tasks/snapshot-volumes.ts": { member: ["EC2:CreateSnapshotCommand", "EC2:CreateSnapshotsCommand", "EC2:CreateTagsCommand"] },
  "tasks/ssm-command.ts": {
    member: ["SSM:DescribeInstanceInformationCommand"],
    forensics: ["S3:CreateMultipartUploadCommand"],
    // The instance uploads parts through presigned UploadPart URLs signed by the evidence writer: s3:PutObject on SSE-KMS.
    implied: { forensics: ["s3:PutObject", ...SSE_KMS] }
  },
  "tasks/start-workstation.ts": {
    forensics: [
      "EC2:CreateVolumeCommand",
      "EC2:DescribeInstancesCommand",
      "EC2:RunInstancesCommand",
      "S3:GetObjectCommand",
      "S3:HeadObjectCommand",
      "SSM:GetParameterCommand"
    ],
    // RunInstances with an instance profile passes its role (iam:PassRole); tags go on at launch (ec2:CreateTags on create);
    // a volume from an encrypted snapshot uses the forensics key through grants (Amazon EBS encryption, EBS User Guide).
    implied: { forensics: ["iam:PassRole", "ec2:CreateTags", "kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"] }
  },
  "tasks/attach-evidence-volumes.ts": {
    forensics: ["EC2:AttachVolumeCommand", "EC2:DescribeInstancesCommand", "EC2:DescribeVolumesCommand"]
  },
  "tasks/run-examination.ts": {
    forensics: ["S3:AbortMultipartUploadCommand", "SSM:SendCommandCommand"]
  },
  "tasks/check-examination.ts": {
    forensics: [
      "S3:AbortMultipartUploadCommand",
      "S3:CompleteMultipartUploadCommand",
      "S3:HeadObjectCommand",
      "S3:ListPartsCommand",
      "SSM:CancelCommandCommand",
      "SSM:GetCommandInvocationCommand"
    ]
  },
  "tasks/cleanup-workstation.ts": {
    forensics: [
      "EC2:DeleteVolumeCommand",
      "EC2:DescribeInstancesCommand",
      "EC2:DescribeVolumesCommand",
      "EC2:DetachVolumeCommand",
      "EC2:TerminateInstancesCommand"
    ]
  },
  "tasks/lib/workstation-plan.ts": {
    forensics: [
      "EC2:AttachVolumeCommand",
      "EC2:CreateVolumeCommand",
      "EC2:DeleteVolumeCommand",
      "EC2:DetachVolumeCommand",
      "EC2:RunInstancesCommand",
      "EC2:TerminateInstancesCommand",
      "IAM:SimulatePrincipalPolicyCommand"
    ]
  },
  "tasks/lib/aws.ts": { orchestrator: ["STS:AssumeRoleCommand"] },
  "tasks/lib/case-store.ts": {
    forensics: ["S3:GetObjectCommand", "S3:ListObjectsV2Command", "S3:PutObjectCommand"],
    // SSE-KMS: writing needs a data key, reading (and completing multipart uploads) needs Decrypt (Amazon S3 User Guide, "Using SSE-KMS").
    implied: { forensics: [...SSE_KMS] }
  },
  "tasks/lib/containment/security-groups.ts": {
    member: [
      "EC2:AuthorizeSecurityGroupEgressCommand",
      "EC2:AuthorizeSecurityGroupIngressCommand",
      "EC2:CreateSecurityGroupCommand",
      "EC2:DescribeNetworkInterfacesCommand",
      "EC2:DescribePrefixListsCommand",
      "EC2:DescribeSecurityGroupsCommand",
      "EC2:DescribeVpcEndpointsCommand",
      "EC2:RevokeSecurityGroupEgressCommand"
    ]
  },
  "tasks/lib/containment/fleet.ts": {
    member: [
      "AutoScaling:DescribeAutoScalingGroupsCommand",
      "AutoScaling:DescribeAutoScalingInstancesCommand",
      "ElasticLoadBalancingV2:DescribeTargetGroupsCommand",
      "ElasticLoadBalancingV2:DescribeTargetHealthCommand"
    ]
  },
  "tasks/lib/evidence-writer.ts": {
    forensics: [
      "S3:AbortMultipartUploadCommand",
      "S3:CompleteMultipartUploadCommand",
      "S3:CreateMultipartUploadCommand",
      "S3:PutObjectCommand",
      "S3:UploadPartCommand"
    ],
    implied: { forensics: [...SSE_KMS] }
  },
  "tasks/lib/instance-evidence.ts": { member: ["EC2:GetConsoleOutputCommand", "EC2:GetConsoleScreenshotCommand"] },
  "tasks/lib/containment/steps.ts": { member: ["IAM:SimulatePrincipalPolicyCommand"] },
  "tasks/lib/logs/cloudtrail.ts": { member: ["CloudTrail:LookupEventsCommand"] },
  "tasks/lib/logs/sources.ts": {
    member: [
      "CloudWatchLogs:FilterLogEventsCommand",
      "ConfigService:GetResourceConfigHistoryCommand",
      "GuardDuty:GetFindingsCommand",
      "GuardDuty:ListDetectorsCommand"
    ]
  },
  "tasks/lib/report/sizes.ts": { member: ["EC2:DescribeInstanceTypesCommand", "EC2:DescribeInstancesCommand", "EC2:DescribeVolumesCommand"] },
  "tasks/lib/manifest.ts": { forensics: ["KMS:GetPublicKeyCommand", "KMS:SignCommand"] },
  "tasks/lib/verify/source-s3.ts": { forensics: ["S3:GetObjectCommand", "S3:HeadObjectCommand"], implied: { forensics: ["kms:Decrypt"] } }
};
var SDK_PACKAGE_CLIENT = {
  "@aws-sdk/client-ec2": "EC2",
  "@aws-sdk/client-s3": "S3",
  "@aws-sdk/client-ssm": "SSM",
  "@aws-sdk/client-sts": "STS",
  "@aws-sdk/client-iam": "IAM",
  "@aws-sdk/client-kms": "KMS",
  "@aws-sdk/client-auto-scaling": "AutoScaling",
  "@aws-sdk/client-elastic-load-balancing-v2": "ElasticLoadBalancingV2",
  "@aws-sdk/client-cloudtrail": "CloudTrail",
  "@aws-sdk/client-cloudwatch-logs": "CloudWatchLogs",
  "@aws-sdk/client-config-service": "ConfigService",
  "@aws-sdk/client-guardduty": "GuardDuty",
  "@aws-sdk/client-securityhub": "SecurityHub",
  "@aws-sdk/client-sns": "SNS",
  "@aws-sdk/client-sfn": "SFN"
};

// test/infra/scan.ts
function sourceFiles(...folders) {
  const root = projectRoot();
  const walk = (dir) => (0, import_node_fs2.readdirSync)(dir).flatMap((name) => {
    const path = (0, import_node_path2.join)(dir, name);
    if ((0, import_node_fs2.statSync)(path).isDirectory()) return walk(path);
    return name.endsWith(".ts") ? [(0, import_node_path2.relative)(root, path)] : [];
  });
  return folders.flatMap((folder) => walk((0, import_node_path2.join)(root, folder))).sort();
}
function commandsIn(file) {
  const text = (0, import_node_fs2.readFileSync)((0, import_node_path2.join)(projectRoot(), file), "utf8");
  const clientOf = /* @__PURE__ */ new Map();
  for (const match of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[a-z0-9-]+)'/g)) {
    for (const name of match[1].split(",").map((part) => part.trim().split(/\s+as\s+/)[0])) clientOf.set(name, SDK_PACKAGE_CLIENT[match[2]] ?? "?");
  }
  const calls = /* @__PURE__ */ new Set();
  for (const match of text.matchAll(/new\s+([A-Z][A-Za-z0-9]*Command)\s*\(/g)) calls.add(`${clientOf.get(match[1]) ?? "?"}:${match[1]}`);
  return [...calls].sort();
}

// ../../tmp/w15/scan.ts
for (const f of sourceFiles("tasks")) {
  const c = commandsIn(f);
  const d = TASK_CALLS[f];
  const decl = new Set(["member", "forensics", "orchestrator"].flatMap((p) => [...d?.[p] ?? []]));
  const miss = c.filter((x) => !decl.has(x));
  const stale = [...decl].filter((x) => !c.includes(x));
  if (miss.length || stale.length) console.log(f, "MISSING", JSON.stringify(miss), "STALE", JSON.stringify(stale));
}
