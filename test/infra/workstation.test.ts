import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/app';
import { WORKSTATION_TOOL_VERSIONS } from '../../infra/stacks/workstation-stack';
import { WORKSTATION_TOOLS } from '../../sandbox/workstation-agent';
import type { CustodyConfig } from '../../tasks/lib/config';
import { exampleConfig, nagFindings } from './helpers';

function withWorkstation(): CustodyConfig {
  const config = exampleConfig();
  config.regions['eu-west-1'] = {
    ...config.regions['eu-west-1'],
    workstation: {
      amiParameter: '/custody/workstation/ami-id',
      subnetId: 'subnet-0f0e0d0c0b0a09081',
      securityGroupId: 'sg-0f0e0d0c0b0a09082',
      instanceType: 'm6i.xlarge',
      instanceProfileArn: 'arn:aws:iam::333333333333:instance-profile/CustodyWorkstation',
      estimatedHours: 4,
      enabledByDefault: false,
    },
  };
  return config;
}

const stacks = buildApp(withWorkstation(), { taskCode: 'stub' });
const stack = stacks.workstation['eu-west-1'];
const template = Template.fromStack(stack);

describe('the workstation stack', () => {
  it('is synthesised only for regions with a workstation, in that region’s forensics account', () => {
    expect(Object.keys(stacks.workstation)).toEqual(['eu-west-1']);
    expect(stack.account).toBe('333333333333');
  });

  it('gives the workstation a network with no route to the internet: no internet gateway, no NAT, no public subnet', () => {
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    for (const subnet of Object.values(template.findResources('AWS::EC2::Subnet')))
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    for (const route of Object.values(template.findResources('AWS::EC2::Route'))) {
      expect(route.Properties.GatewayId).toBeUndefined();
      expect(route.Properties.NatGatewayId).toBeUndefined();
    }
  });

  it('reaches Systems Manager, KMS and S3 through VPC endpoints', () => {
    const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((endpoint) =>
      JSON.stringify(endpoint.Properties.ServiceName),
    );
    for (const service of ['.ssm', '.ssmmessages', '.ec2messages', '.kms', '.s3'])
      expect(services.some((name) => name.includes(service))).toBe(true);
  });

  it('builds the image with Image Builder from a recipe pinning plaso, volatility3 and sleuthkit, publishing the AMI id to the parameter', () => {
    const [component] = Object.values(template.findResources('AWS::ImageBuilder::Component'));
    expect(component.Properties.Data).toContain('plaso==20240308');
    expect(component.Properties.Data).toContain('volatility3==2.7.0');
    expect(component.Properties.Data).toContain('sleuthkit-4.12.1');
    template.resourceCountIs('AWS::ImageBuilder::ImagePipeline', 1);
    // The sandbox's workstation reports the versions the recipe pins, so tabletop custody logs match a deployed one.
    expect(WORKSTATION_TOOLS).toEqual(WORKSTATION_TOOL_VERSIONS);
    template.hasResourceProperties('AWS::ImageBuilder::DistributionConfiguration', {
      Distributions: [{ SsmParameterConfigurations: [{ ParameterName: '/custody/workstation/ami-id' }] }],
    });
  });

  it('deploys the workstation documents here and never to member accounts', () => {
    template.hasResourceProperties('AWS::SSM::Document', { Name: 'Custody-WorkstationExamine' });
    const member = Template.fromStack(stacks.member).findResources('AWS::SSM::Document');
    expect(Object.values(member).map((document) => document.Properties.Name)).not.toContain(
      'Custody-WorkstationExamine',
    );
  });

  it('leaves no unacknowledged AwsSolutions finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});
