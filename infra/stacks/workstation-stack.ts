// Workstation stack, per region in the forensics account: the isolated network, the image pipeline and the examination documents.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as imagebuilder from 'aws-cdk-lib/aws-imagebuilder';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { CustodyConfig } from '../../tasks/lib/config';
import { projectRoot } from '../../tasks/lib/paths';

/** Analysis tools baked into the workstation image, pinned by version (docs/workstation.md); the sandbox reports the same. */
export const WORKSTATION_TOOL_VERSIONS = { plaso: '20240308', volatility3: '2.7.0', sleuthkit: '4.12.1' } as const;
export const AMI_PARAMETER = '/custody/workstation/ami-id';

export interface WorkstationStackProps extends StackProps {
  readonly config: CustodyConfig;
  readonly region: string;
  /** Folder of SSM document contents; only `Custody-Workstation*.json` are deployed here. */
  readonly documentsDir?: string;
  /** Base image the recipe starts from (an Amazon Linux 2023 AMI id, or an Image Builder image ARN). */
  readonly parentImage?: string;
}

export class WorkstationStack extends Stack {
  public readonly vpc: ec2.Vpc;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly instanceProfile: iam.InstanceProfile;

  public constructor(scope: Construct, id: string, props: WorkstationStackProps) {
    const destination = props.config.regions[props.region];
    if (!destination) throw new Error(`region ${props.region} has no forensics account in the configuration`);
    super(scope, id, { ...props, env: { account: destination.forensicsAccountId, region: props.region } });

    // Isolated subnets only: no internet or NAT gateway, so the workstation reaches AWS through VPC endpoints and nothing else.
    this.vpc = new ec2.Vpc(this, 'Network', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'examination', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_YEAR }),
          ),
        },
      },
    });
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    this.securityGroup = new ec2.SecurityGroup(this, 'WorkstationGroup', {
      vpc: this.vpc,
      description: 'Custody workstation: HTTPS to the VPC endpoints and S3 only',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(
      ec2.Peer.ipv4(this.vpc.vpcCidrBlock),
      ec2.Port.tcp(443),
      'interface endpoints (SSM, KMS)',
    );
    // S3 is reached through the gateway endpoint's route (prefix list); with no internet or NAT route, HTTPS can go nowhere else.
    this.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'S3 gateway endpoint (presigned evidence uploads)',
    );
    // Session Manager and Run Command need these three endpoints in a subnet without internet access (Systems Manager User Guide, "Use VPC endpoints").
    for (const [name, service] of [
      ['Ssm', ec2.InterfaceVpcEndpointAwsService.SSM],
      ['SsmMessages', ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES],
      ['Ec2Messages', ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES],
      ['Kms', ec2.InterfaceVpcEndpointAwsService.KMS],
    ] as const) {
      const endpoint = this.vpc.addInterfaceEndpoint(name, { service, privateDnsEnabled: true, open: false });
      endpoint.connections.allowFrom(this.securityGroup, ec2.Port.tcp(443), 'from the workstation');
    }

    const role = new iam.Role(this, 'WorkstationRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Custody workstation: a managed node for Run Command; evidence moves only through presigned URLs',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    acknowledgeManaged(
      role,
      ['AmazonSSMManagedInstanceCore'],
      'the documented minimum for a managed node (Systems Manager User Guide)',
    );
    this.instanceProfile = new iam.InstanceProfile(this, 'WorkstationProfile', {
      role,
      instanceProfileName: 'CustodyWorkstation',
    });

    this.imagePipeline(props.parentImage);

    for (const file of workstationDocuments(props.documentsDir ?? join(projectRoot(), 'infra', 'documents'))) {
      const name = basename(file, '.json');
      new ssm.CfnDocument(this, `Document${name.replace(/[^A-Za-z0-9]/g, '')}`, {
        name,
        documentType: 'Command',
        documentFormat: 'JSON',
        content: JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>,
        updateMethod: 'NewVersion',
      });
    }

    new CfnOutput(this, 'SubnetIds', { value: this.vpc.isolatedSubnets.map((subnet) => subnet.subnetId).join(',') });
    new CfnOutput(this, 'SecurityGroupId', { value: this.securityGroup.securityGroupId });
    new CfnOutput(this, 'InstanceProfileArn', { value: this.instanceProfile.instanceProfileArn });
    new CfnOutput(this, 'AmiParameter', { value: AMI_PARAMETER });
  }

  /** EC2 Image Builder: a recipe with the pinned tools; each build's AMI id is written to the SSM parameter the tasks read. */
  private imagePipeline(
    parentImage = `arn:${this.partition}:imagebuilder:${this.region}:aws:image/amazon-linux-2023-x86/x.x.x`,
  ): void {
    const tools = WORKSTATION_TOOL_VERSIONS;
    const component = new imagebuilder.CfnComponent(this, 'ToolsComponent', {
      name: 'custody-workstation-tools',
      version: '1.0.0',
      platform: 'Linux',
      description: 'Plaso, Volatility 3 and The Sleuth Kit, pinned by version; nothing else',
      data: [
        'name: custody-workstation-tools',
        'schemaVersion: 1.0',
        'phases:',
        '  - name: build',
        '    steps:',
        '      - name: Install',
        '        action: ExecuteBash',
        '        inputs:',
        '          commands:',
        '            - dnf install -y python3.11 python3.11-pip gcc sqlite-devel ntfs-3g xfsprogs',
        `            - curl -fsSL -o /tmp/sleuthkit.tar.gz https://github.com/sleuthkit/sleuthkit/releases/download/sleuthkit-${tools.sleuthkit}/sleuthkit-${tools.sleuthkit}.tar.gz`,
        `            - tar -C /tmp -xzf /tmp/sleuthkit.tar.gz && cd /tmp/sleuthkit-${tools.sleuthkit} && ./configure && make -j2 && make install`,
        `            - python3.11 -m pip install plaso==${tools.plaso} volatility3==${tools.volatility3}`,
        '  - name: validate',
        '    steps:',
        '      - name: Versions',
        '        action: ExecuteBash',
        '        inputs:',
        '          commands:',
        `            - fls -V | grep -q ${tools.sleuthkit}`,
        `            - log2timeline.py --version 2>&1 | grep -q ${tools.plaso}`,
        `            - vol --help | grep -q ${tools.volatility3}`,
      ].join('\n'),
    });
    const recipe = new imagebuilder.CfnImageRecipe(this, 'Recipe', {
      name: 'custody-workstation',
      version: '1.0.0',
      parentImage,
      components: [{ componentArn: component.attrArn }],
      blockDeviceMappings: [
        {
          deviceName: '/dev/xvda',
          ebs: { encrypted: true, volumeSize: 100, volumeType: 'gp3', deleteOnTermination: true },
        },
      ],
    });
    const buildRole = new iam.Role(this, 'ImageBuildRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: ['AmazonSSMManagedInstanceCore', 'EC2InstanceProfileForImageBuilder'].map((name) =>
        iam.ManagedPolicy.fromAwsManagedPolicyName(name),
      ),
    });
    acknowledgeManaged(
      buildRole,
      ['AmazonSSMManagedInstanceCore', 'EC2InstanceProfileForImageBuilder'],
      'the AWS managed policies Image Builder documents for its build instances',
    );
    const buildProfile = new iam.InstanceProfile(this, 'ImageBuildProfile', { role: buildRole });
    const infrastructure = new imagebuilder.CfnInfrastructureConfiguration(this, 'BuildInfrastructure', {
      name: 'custody-workstation-build',
      instanceProfileName: buildProfile.instanceProfileName,
      instanceTypes: ['m6i.large'],
      terminateInstanceOnFailure: true,
      instanceMetadataOptions: { httpTokens: 'required' },
    });
    const distribution = new imagebuilder.CfnDistributionConfiguration(this, 'Distribution', {
      name: 'custody-workstation',
      distributions: [
        {
          region: this.region,
          amiDistributionConfiguration: { name: 'custody-workstation-{{ imagebuilder:buildDate }}' },
          // Each build publishes its AMI id here; StartWorkstation reads it (Image Builder: "Distribute AMI ids to SSM parameters").
          ssmParameterConfigurations: [{ parameterName: AMI_PARAMETER, dataType: 'aws:ec2:image' }],
        },
      ],
    });
    new imagebuilder.CfnImagePipeline(this, 'Pipeline', {
      name: 'custody-workstation',
      description: 'Builds the Custody examination workstation image',
      imageRecipeArn: recipe.attrArn,
      infrastructureConfigurationArn: infrastructure.attrArn,
      distributionConfigurationArn: distribution.attrArn,
      imageTestsConfiguration: { imageTestsEnabled: true },
      status: 'ENABLED',
    });
  }
}

/** The `Custody-Workstation*.json` documents: they run in the forensics account only (the member stack skips them). */
export function workstationDocuments(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.startsWith('Custody-Workstation') && file.endsWith('.json'))
    .sort()
    .map((file) => join(dir, file));
}

/** Acknowledges AwsSolutions-IAM4 for exactly the AWS managed policies named, with the reason. */
function acknowledgeManaged(role: iam.Role, policies: readonly string[], reason: string): void {
  for (const policy of policies)
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policy}]`,
      reason: `${policy}: ${reason}`,
    });
}
