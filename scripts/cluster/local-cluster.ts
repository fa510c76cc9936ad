import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AiStub } from '../../sandbox/ai-stub/index.js';
import { DiscordSandbox } from '../../sandbox/index.js';
import { DISCORD_ATTACHMENT_HOSTS } from '../../src/config/index.js';
import { buildDistOnce } from './build-dist.js';
import { readNodeScriptArguments } from './production-command.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Each role's TypeScript entry point, run through tsx. */
const SOURCE_ENTRY_POINTS = {
  gateway: 'src/gateway/main.ts',
  worker: 'workers/reply-worker.ts',
} as const;
/** The package.json script that starts each role from dist/ in production, V8 flags included. */
const PRODUCTION_SCRIPTS = {
  gateway: 'start:gateway:prod',
  worker: 'start:worker:prod',
} as const satisfies Record<keyof typeof SOURCE_ENTRY_POINTS, string>;

export type ProcessRole = keyof typeof SOURCE_ENTRY_POINTS;

/**
 * What a Chorus process runs: the TypeScript source through tsx (what tests use), or what production runs:
 * the `start:<role>:prod` command of package.json (the JavaScript `npm run build` puts in dist/, with its V8
 * flags; no tsx transform, no source maps held in memory), dist/ built once per process by the first cluster
 * that asks for it.
 */
export type ProcessRuntime = 'source' | 'dist';

function buildNodeArguments(role: ProcessRole, runtime: ProcessRuntime): string[] {
  return runtime === 'source'
    ? ['--import', 'tsx', SOURCE_ENTRY_POINTS[role]]
    : readNodeScriptArguments(join(ROOT, 'package.json'), PRODUCTION_SCRIPTS[role]);
}

/** One Chorus process (gateway or worker) started by the cluster. */
export interface ChorusProcess {
  readonly role: ProcessRole;
  readonly name: string;
  readonly child: ChildProcess;
  /** Health/metrics port, known once the process logged its start. */
  readonly httpPort: number;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Every JSON log line the process printed, parsed. */
  readonly logs: ReadonlyArray<Record<string, unknown>>;
}

/** Options for {@link LocalCluster.start}. */
export interface LocalClusterOptions {
  readonly redisUrl: string;
  /** `redisUrl` is a Redis Cluster node (`REDIS_CLUSTER=true` for every process). @defaultValue `REDIS_CLUSTER` of this process */
  readonly redisCluster: boolean;
  /** Key prefix for this run; a fresh `test-<uuid>` by default so runs never share state. */
  readonly prefix: string;
  /** Extra environment for every process (limits, concurrency…). */
  readonly env: Record<string, string>;
  /** Sandbox options (rate limits etc.). */
  readonly sandbox: Parameters<typeof DiscordSandbox.start>[0];
  /** AI stub options. */
  readonly aiStub: Parameters<typeof AiStub.start>[0];
  /** Where process logs go besides being kept: 'inherit' prints them. @defaultValue 'keep' */
  readonly logs: 'keep' | 'inherit';
  /** Milliseconds to wait for a process to report it started. @defaultValue 30_000 */
  readonly startTimeoutMs: number;
  /** @defaultValue 'source' */
  readonly runtime: ProcessRuntime;
}

/**
 * A whole Chorus system on one machine: the Discord sandbox and the AI stub in this process, gateway and
 * workers as real child processes (so they can be killed, restarted and scaled). Used by the demo, the
 * end-to-end and fault tests, and the benchmark.
 */
export class LocalCluster implements AsyncDisposable {
  readonly processes: ChorusProcess[] = [];
  private counter = 0;

  private constructor(
    readonly sandbox: DiscordSandbox,
    readonly aiStub: AiStub,
    readonly options: LocalClusterOptions,
  ) {}

  static async start(options: Partial<LocalClusterOptions> = {}): Promise<LocalCluster> {
    const full: LocalClusterOptions = {
      redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      redisCluster: process.env['REDIS_CLUSTER'] === 'true',
      prefix: `test-${randomUUID()}`,
      env: {},
      sandbox: undefined,
      aiStub: undefined,
      logs: 'keep',
      startTimeoutMs: 30_000,
      runtime: 'source',
      ...options,
    };
    if (full.runtime === 'dist') await buildDistOnce();
    const sandbox = await DiscordSandbox.start(full.sandbox);
    const aiStub = await AiStub.start(full.aiStub);
    return new LocalCluster(sandbox, aiStub, full);
  }

  /** The environment a Chorus process of this cluster runs with. */
  buildEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: process.env['PATH'] ?? '',
      DISCORD_TOKEN: this.sandbox.bot.token,
      DISCORD_APPLICATION_ID: this.sandbox.bot.applicationId,
      DISCORD_API_URL: this.sandbox.restUrl,
      REDIS_URL: this.options.redisUrl,
      REDIS_CLUSTER: String(this.options.redisCluster),
      REDIS_PREFIX: this.options.prefix,
      AI_BASE_URL: this.aiStub.baseUrl,
      AI_API_KEY: 'sk-operator-stub-key',
      AI_MODEL: 'stub-small',
      ENCRYPTION_KEY: 'a'.repeat(64),
      // The sandbox serves attachments itself (its CDN route), over http: listed with its port, so allowed.
      ATTACHMENT_HOSTS: `${DISCORD_ATTACHMENT_HOSTS},${new URL(this.sandbox.restUrl).host}`,
      LOG_LEVEL: 'info',
      HTTP_PORT: '0',
      // Off unless a test or the demo turns it on: with it, each user's first message waits the window (1.5 s by
      // default) and back-to-back messages to one personality get one reply, which tests sending several
      // messages in a row do not expect. tests/e2e/pipeline/coalesce.test.ts sets it.
      COALESCE_WINDOW_MS: '0',
      ...this.options.env,
      ...extra,
    };
  }

  /** Starts a gateway or worker process and waits until it logs that it started. */
  async spawn(role: ProcessRole, extraEnv: Record<string, string> = {}): Promise<ChorusProcess> {
    this.counter += 1;
    const name = `${role}-${this.counter}`;
    const child = spawn(process.execPath, buildNodeArguments(role, this.options.runtime), {
      cwd: ROOT,
      env: this.buildEnv(extraEnv),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: Array<Record<string, unknown>> = [];
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    });
    let markStarted: (port: number) => void = () => undefined;
    const started = new Promise<number>((resolve) => {
      markStarted = resolve;
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (this.options.logs === 'inherit') process.stdout.write(`[${name}] ${line}\n`);
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (typeof entry['msg'] === 'string' && / started$/.test(entry['msg']))
          markStarted(Number(entry['httpPort']));
      } catch {
        // Not JSON (a stack trace printed by Node itself): kept only when inheriting.
      }
    });
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr.push(line);
      if (this.options.logs === 'inherit') process.stderr.write(`[${name}] ${line}\n`);
    });
    const timeout = new Promise<never>((_, reject) => {
      setTimeout(
        () =>
          reject(
            new Error(
              `${name} did not start within ${this.options.startTimeoutMs} ms:\n${stderr.join('\n')}`,
            ),
          ),
        this.options.startTimeoutMs,
      ).unref();
    });
    const failed = exited.then((code) => {
      throw new Error(`${name} exited (${code}) before starting:\n${stderr.join('\n')}`);
    });
    const httpPort = await Promise.race([started, timeout, failed]);
    const processInfo: ChorusProcess = { role, name, child, httpPort, exited, logs };
    this.processes.push(processInfo);
    return processInfo;
  }

  /** Sends `signal` and waits for the process to end. */
  async stop(target: ChorusProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
    if (target.child.exitCode === null && target.child.signalCode === null) target.child.kill(signal);
    const code = await target.exited;
    const index = this.processes.indexOf(target);
    if (index >= 0) this.processes.splice(index, 1);
    return code;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all([...this.processes].map((running) => this.stop(running, 'SIGTERM')));
    await this.aiStub.close();
    await this.sandbox.close();
  }
}
