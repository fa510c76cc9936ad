/**
 * A real Redis Cluster on this machine, from the installed `redis-server` and `redis-cli`: N masters with
 * replicas, bound to 127.0.0.1, data in a temporary directory. Used by the cluster test tier and the CLI beside
 * this file. Stopping it (dispose, a failed start, process exit, SIGINT/SIGTERM) kills every node and deletes
 * the directory.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** Options for {@link LocalRedisCluster.start}. */
export interface LocalRedisClusterOptions {
  /**
   * First node's port; node i listens on `basePort + i` and its cluster bus on that + 10000. `null` picks a
   * free range, so parallel runs never collide. @defaultValue null
   */
  readonly basePort: number | null;
  /** @defaultValue 3 */
  readonly masters: number;
  /** @defaultValue 1 */
  readonly replicasPerMaster: number;
  /** `cluster-node-timeout`: how long a master may be unreachable before its replica takes over, in ms. @defaultValue 2000 */
  readonly nodeTimeoutMs: number;
  /** How long to wait for `cluster_state:ok`, in ms. @defaultValue 30000 */
  readonly readyTimeoutMs: number;
}

export const DefaultLocalRedisClusterOptions = {
  basePort: null,
  masters: 3,
  replicasPerMaster: 1,
  nodeTimeoutMs: 2000,
  readyTimeoutMs: 30_000,
} as const satisfies Required<LocalRedisClusterOptions>;

/** Slots of a Redis Cluster. */
const SLOT_COUNT = 16384;
/** The cluster bus listens at the client port + this. */
const BUS_PORT_OFFSET = 10_000;
const POLL_MS = 100;

/** One `redis-server` of the cluster. */
export interface ClusterNode {
  readonly port: number;
  readonly child: ChildProcess;
}

/** Clusters still running in this process, stopped synchronously if the process goes away first. */
const running = new Set<LocalRedisCluster>();

function stopAllNow(): void {
  for (const cluster of running) cluster.stopNow();
}

function onSignal(signal: NodeJS.Signals): void {
  stopAllNow();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // Re-raised with our handlers gone: the process ends as it would have without them.
  process.kill(process.pid, signal);
}

function track(cluster: LocalRedisCluster): void {
  if (running.size === 0) {
    process.on('exit', stopAllNow);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  running.add(cluster);
}

function untrack(cluster: LocalRedisCluster): void {
  running.delete(cluster);
  if (running.size === 0) {
    process.off('exit', stopAllNow);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** See the module comment. */
export class LocalRedisCluster implements AsyncDisposable {
  readonly nodes: ClusterNode[] = [];

  private constructor(
    readonly options: LocalRedisClusterOptions,
    readonly basePort: number,
    readonly dir: string,
  ) {}

  /** Starts the nodes, joins them with `redis-cli --cluster create`, and waits until every slot is served. */
  static async start(options: Partial<LocalRedisClusterOptions> = {}): Promise<LocalRedisCluster> {
    const full: LocalRedisClusterOptions = { ...DefaultLocalRedisClusterOptions, ...options };
    const count = full.masters * (1 + full.replicasPerMaster);
    const basePort = full.basePort ?? (await findFreePortRange(count));
    const cluster = new LocalRedisCluster(
      full,
      basePort,
      mkdtempSync(join(tmpdir(), 'chorus-redis-cluster-')),
    );
    track(cluster);
    try {
      for (let index = 0; index < count; index += 1) cluster.startNode(basePort + index);
      await Promise.all(cluster.nodes.map((node) => waitForPing(node, full.readyTimeoutMs)));
      await runRedisCli([
        '--cluster',
        'create',
        ...cluster.nodes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-replicas',
        String(full.replicasPerMaster),
        '--cluster-yes',
      ]);
      await cluster.waitUntilHealthy();
      return cluster;
    } catch (error) {
      cluster.stopNow();
      throw error;
    }
  }

  /** A URL of one node: ioredis `Cluster` discovers the others from it. */
  get url(): string {
    return `redis://127.0.0.1:${this.liveNodes()[0]?.port ?? this.basePort}`;
  }

  /** Nodes whose process is still running. */
  liveNodes(): ClusterNode[] {
    return this.nodes.filter((node) => node.child.exitCode === null && node.child.signalCode === null);
  }

  /**
   * Waits until every live node reports `cluster_state:ok` with all slots served, knows every live node's role
   * and the same masters, and every replica has its replication link up (so a failover has a synced replica
   * to promote).
   */
  async waitUntilHealthy(timeoutMs = this.options.readyTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    for (;;) {
      last = await this.describeUnhealthy();
      if (last === '') return;
      if (Date.now() > deadline)
        throw new Error(
          `Redis Cluster on ports ${this.basePort}+ not healthy after ${timeoutMs} ms: ${last}`,
        );
      await sleep(POLL_MS);
    }
  }

  /** The port of the master serving `key`'s slot, asked of a live node (`CLUSTER KEYSLOT`, `CLUSTER NODES`). */
  async findMasterPort(key: string): Promise<number> {
    return (await this.findShard(key)).master.port;
  }

  /** The ports of the live replicas of the master serving `key`'s slot. */
  async findReplicaPorts(key: string): Promise<number[]> {
    const { master, entries } = await this.findShard(key);
    return entries
      .filter((entry) => !entry.master && !entry.failed && entry.masterId === master.id)
      .map((entry) => entry.port);
  }

  private async findShard(key: string): Promise<{ master: ClusterNodeEntry; entries: ClusterNodeEntry[] }> {
    return this.withNode(async (client) => {
      const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key));
      const entries = parseClusterNodes(String(await client.call('CLUSTER', 'NODES')));
      const master = entries.find(
        (entry) =>
          entry.master && !entry.failed && entry.slots.some(([from, to]) => slot >= from && slot <= to),
      );
      if (master === undefined) throw new Error(`no live master serves slot ${slot} (key ${key})`);
      return { master, entries };
    });
  }

  /** Sends `signal` to the node on `port` and waits for it to exit. */
  async kill(port: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = this.nodes.find((candidate) => candidate.port === port);
    if (node === undefined) throw new Error(`no cluster node on port ${port}`);
    await stopChild(node.child, signal);
  }

  /** Kills every node at once and deletes the data directory (synchronous: also used on process exit). */
  stopNow(): void {
    for (const node of this.nodes) {
      if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
    untrack(this);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.nodes.map((node) => stopChild(node.child, 'SIGKILL')));
    this.stopNow();
  }

  private startNode(port: number): void {
    const dir = join(this.dir, String(port));
    mkdirSync(dir);
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        String(this.options.nodeTimeoutMs),
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        // Tests stall a replica with DEBUG SLEEP to show what waits for replication.
        '--enable-debug-command',
        'local',
        '--logfile',
        'redis.log',
      ],
      { stdio: 'ignore' },
    );
    this.nodes.push({ port, child });
  }

  /** '' when healthy, else what is not yet. */
  private async describeUnhealthy(): Promise<string> {
    const live = this.liveNodes();
    const masterSets = new Set<string>();
    for (const node of live) {
      const client = connectNode(node.port);
      try {
        const info = parseInfo(String(await client.call('CLUSTER', 'INFO')));
        if (info['cluster_state'] !== 'ok')
          return `node ${node.port}: cluster_state ${info['cluster_state']}`;
        if (info['cluster_slots_ok'] !== String(SLOT_COUNT))
          return `node ${node.port}: ${info['cluster_slots_ok']} slots ok`;
        const entries = parseClusterNodes(String(await client.call('CLUSTER', 'NODES')));
        const masters = entries.filter((entry) => entry.master && !entry.failed && entry.slots.length > 0);
        const replicas = entries.filter((entry) => !entry.master && !entry.failed);
        // Gossip spreads roles node by node: until then CLUSTER SLOTS may list a master without its replica.
        if (masters.length + replicas.length !== live.length)
          return `node ${node.port} knows ${masters.length} masters and ${replicas.length} replicas of ${live.length} nodes`;
        masterSets.add(
          masters
            .map((entry) => entry.port)
            .sort()
            .join(','),
        );
        const replication = parseInfo(await client.info('replication'));
        if (replication['role'] === 'slave' && replication['master_link_status'] !== 'up')
          return `replica ${node.port}: link to its master ${replication['master_link_status']}`;
      } catch (error) {
        return `node ${node.port}: ${error instanceof Error ? error.message : String(error)}`;
      } finally {
        client.disconnect();
      }
    }
    if (masterSets.size !== 1) return `nodes disagree on the masters: ${[...masterSets].join(' / ')}`;
    return '';
  }

  private async withNode<T>(run: (client: Redis) => Promise<T>): Promise<T> {
    const node = this.liveNodes()[0];
    if (node === undefined) throw new Error('no cluster node is running');
    const client = connectNode(node.port);
    try {
      return await run(client);
    } finally {
      client.disconnect();
    }
  }
}

/** One line of `CLUSTER NODES`. */
export interface ClusterNodeEntry {
  readonly id: string;
  /** For a replica, its master's id; '-' for a master. */
  readonly masterId: string;
  readonly port: number;
  readonly master: boolean;
  readonly failed: boolean;
  readonly slots: ReadonlyArray<readonly [number, number]>;
}

/** Parses `CLUSTER NODES` (`<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot>…`). */
export function parseClusterNodes(text: string): ClusterNodeEntry[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const fields = line.trim().split(' ');
      const flags = (fields[2] ?? '').split(',');
      const address = fields[1] ?? '';
      const slots = fields
        .slice(8)
        .filter((range) => !range.startsWith('['))
        .map((range): readonly [number, number] => {
          const [from, to] = range.split('-').map(Number);
          return [from!, to ?? from!];
        });
      return {
        id: fields[0] ?? '',
        masterId: fields[3] ?? '-',
        port: Number(address.slice(address.lastIndexOf(':') + 1).split('@')[0]),
        master: flags.includes('master'),
        failed: flags.includes('fail') || flags.includes('fail?'),
        slots,
      };
    });
}

function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const separator = line.indexOf(':');
    if (separator > 0) fields[line.slice(0, separator)] = line.slice(separator + 1).trim();
  }
  return fields;
}

function connectNode(port: number): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: false,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  // A refused or dropped connection rejects the pending command, which the caller reports.
  client.on('error', () => undefined);
  return client;
}

async function waitForPing(node: ClusterNode, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (node.child.exitCode !== null)
      throw new Error(`redis-server on ${node.port} exited with ${node.child.exitCode}`);
    const client = connectNode(node.port);
    try {
      if ((await client.ping()) === 'PONG') return;
    } catch {
      if (Date.now() > deadline)
        throw new Error(`redis-server on ${node.port} did not answer within ${timeoutMs} ms`);
    } finally {
      client.disconnect();
    }
    await sleep(POLL_MS / 2);
  }
}

function runRedisCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error)
        reject(
          new Error(`redis-cli ${args.slice(0, 2).join(' ')} failed:\n${stdout}${stderr}`, { cause: error }),
        );
      else resolve(stdout);
    });
  });
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  return exited;
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A base port with `count` free ports from it, and their bus ports (+10000) free too. Random starts in
 * 20000–49999 make two parallel runs unlikely to pick the same range; a taken range is skipped.
 */
export async function findFreePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * (30_000 - count));
    const ports = Array.from({ length: count }, (_, index) => base + index);
    const free = await Promise.all(
      ports.flatMap((port) => [isPortFree(port), isPortFree(port + BUS_PORT_OFFSET)]),
    );
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no free range of ${count} ports (and their cluster bus ports) found`);
}
