#!/usr/bin/env node
// The CDK app entry (`cdk synth` runs the compiled dist/infra/bin/app.js): configuration from `-c config=FILE`, else config/example.json.
import { join } from 'node:path';
import { loadConfigFile } from '../../tasks/lib/config';
import { projectRoot } from '../../tasks/lib/paths';
import { buildApp } from '../app';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

const app = new App();
const configured = app.node.tryGetContext('config') as string | undefined;
const config = loadConfigFile(configured ?? join(projectRoot(), 'config', 'example.json'));
const taskCode = app.node.tryGetContext('custody:stubTasks') === 'true' ? 'stub' : 'bundle';
buildApp(config, { app, taskCode });
// Every unacknowledged AwsSolutions finding fails the synth, so what deploys is what test/infra/stacks.test.ts checks.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
