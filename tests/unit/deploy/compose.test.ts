// Static checks of the deployment files: they reference real entry points and real configuration names, and
// keep the properties operations rely on (health checks, start order, non-root, several workers).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { EnvSchema } from '../../../src/config/index.js';

const root = new URL('../../../', import.meta.url);

const ServiceSchema = z.looseObject({
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  env_file: z.union([z.string(), z.array(z.string())]).optional(),
  depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
  healthcheck: z.looseObject({ test: z.array(z.string()) }).optional(),
  deploy: z.looseObject({ replicas: z.number().int().optional() }).optional(),
  stop_grace_period: z.string().optional(),
});
const ComposeSchema = z.looseObject({ services: z.record(z.string(), ServiceSchema) });

// Compose supports YAML merge keys (`<<: *app`); the yaml package resolves them only when asked.
const compose = ComposeSchema.parse(
  parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'), { merge: true }),
);
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
const appServices = ['gateway', 'worker'] as const;

/** The TypeScript source a built entry point comes from (tsconfig.build.json: rootDir '.', outDir 'dist'). */
function sourceOfBuiltEntry(builtPath: string): string {
  const match = /^dist\/(.+)\.js$/.exec(builtPath);
  if (!match) throw new Error(`${builtPath} is not a built entry point under dist/`);
  return `${match[1]}.ts`;
}

/** Seconds in a compose duration such as `30s`, `1m30s`. */
function parseDurationSeconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+)(h|m|s)/g)];
  const unit = { h: 3600, m: 60, s: 1 } as const;
  return parts.reduce(
    (total, [, amount, suffix]) => total + Number(amount) * unit[suffix as keyof typeof unit],
    0,
  );
}

function service(name: string) {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no ${name} service`);
  return found;
}

describe('sourceOfBuiltEntry', () => {
  it.each([
    ['dist/src/gateway/main.js', 'src/gateway/main.ts'],
    ['dist/workers/reply-worker.js', 'workers/reply-worker.ts'],
    ['dist/src/commands/deploy-commands.js', 'src/commands/deploy-commands.ts'],
  ])('maps %s to %s', (built, source) => {
    expect(sourceOfBuiltEntry(built)).toBe(source);
  });

  it.each(['src/gateway/main.ts', 'dist/src/gateway/main.ts', 'build/workers/reply-worker.js'])(
    'rejects %s',
    (path) => {
      expect(() => sourceOfBuiltEntry(path)).toThrow();
    },
  );
});

describe('docker-compose.yml', () => {
  it('defines redis, gateway and worker', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['redis', 'gateway', 'worker']));
  });

  it.each(appServices)('runs %s from a built file whose TypeScript source exists', (name) => {
    const command = service(name).command ?? [];
    expect(command[0]).toBe('node');
    const entry = command.at(-1) ?? '';
    expect(existsSync(new URL(sourceOfBuiltEntry(entry), root)), `${sourceOfBuiltEntry(entry)} exists`).toBe(
      true,
    );
  });

  it('sets only variables the configuration schema knows', () => {
    const known = new Set(Object.keys(EnvSchema.shape));
    const unknown = Object.entries(compose.services).flatMap(([name, definition]) =>
      Object.keys(definition.environment ?? {})
        .filter((variable) => !known.has(variable))
        .map((variable) => `${name}.${variable}`),
    );
    expect(unknown).toEqual([]);
  });

  it.each(appServices)(
    'gives %s its configuration from .env, with Redis and the health port pinned',
    (name) => {
      const definition = service(name);
      expect([definition.env_file].flat()).toContain('.env');
      expect(definition.environment).toMatchObject({ REDIS_URL: 'redis://redis:6379', HTTP_PORT: '8080' });
    },
  );

  it.each(['redis', ...appServices])('health-checks %s', (name) => {
    expect(service(name).healthcheck?.test.length).toBeGreaterThan(0);
  });

  it.each(appServices)('health-checks %s on /healthz at HTTP_PORT', (name) => {
    expect(service(name).healthcheck?.test.join(' ')).toMatch(/process\.env\.HTTP_PORT.*\/healthz/);
  });

  it.each(appServices)('starts %s only once Redis is healthy', (name) => {
    expect(service(name).depends_on?.['redis']?.condition).toBe('service_healthy');
  });

  it.each(appServices)('gives %s longer than the default SHUTDOWN_GRACE_MS to stop', (name) => {
    const defaultGraceMs = EnvSchema.shape.SHUTDOWN_GRACE_MS.parse(undefined);
    const grace = service(name).stop_grace_period;
    expect(grace).toBeDefined();
    expect(parseDurationSeconds(grace ?? '0s') * 1000).toBeGreaterThan(defaultGraceMs);
  });

  it('runs at least two workers by default', () => {
    expect(service('worker').deploy?.replicas).toBeGreaterThanOrEqual(2);
  });

  it('runs the dashboard only under its profile, from the app image, published on localhost only', () => {
    const dashboard = service('dashboard');
    expect(dashboard['profiles']).toEqual(['dashboard']);
    expect(dashboard.image).toBe(service('worker').image);
    const [program, entry] = dashboard.command ?? [];
    expect(program).toBe('node');
    expect(existsSync(new URL(sourceOfBuiltEntry(entry ?? ''), root))).toBe(true);
    expect([dashboard.env_file].flat()).toContain('.env');
    expect(dashboard.environment).toMatchObject({ REDIS_URL: 'redis://redis:6379', HTTP_PORT: '8080' });
    expect(dashboard.depends_on?.['redis']?.condition).toBe('service_healthy');
    expect(dashboard['ports']).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+:8080$/)]);
  });
});

describe('Dockerfile', () => {
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const withKeyword = (keyword: string) => instructions.filter((line) => line.startsWith(`${keyword} `));

  it('builds in at least two stages', () => {
    expect(withKeyword('FROM').length).toBeGreaterThanOrEqual(2);
  });

  it('runs as a user other than root', () => {
    const users = withKeyword('USER').map((line) => line.slice('USER '.length).trim());
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users.at(-1));
  });

  it('declares a HEALTHCHECK on /healthz', () => {
    expect(withKeyword('HEALTHCHECK').join(' ')).toContain('/healthz');
  });

  it('installs only production dependencies in the final stage', () => {
    const finalStage = instructions.slice(instructions.lastIndexOf(withKeyword('FROM').at(-1)!));
    expect(finalStage.join('\n')).toMatch(/npm ci --omit=dev/);
    expect(finalStage.filter((line) => line.startsWith('ENV ')).join(' ')).toMatch(/\bNODE_ENV=production\b/);
  });

  it('runs the worker by default, from a built file whose TypeScript source exists', () => {
    const cmd = withKeyword('CMD').at(-1) ?? '';
    const command = z.array(z.string()).parse(JSON.parse(cmd.slice('CMD '.length)));
    expect(command[0]).toBe('node');
    expect(command.at(-1)).toBe('dist/workers/reply-worker.js');
    expect(existsSync(new URL(sourceOfBuiltEntry(command.at(-1) ?? ''), root))).toBe(true);
  });

  it('runs the worker as package.json and compose do, heap budget included', () => {
    const cmd = withKeyword('CMD').at(-1) ?? '';
    const command = z.array(z.string()).parse(JSON.parse(cmd.slice('CMD '.length)));
    const scripts = z
      .object({ scripts: z.record(z.string(), z.string()) })
      .parse(JSON.parse(readFileSync(new URL('package.json', root), 'utf8'))).scripts;
    expect(command).toContain('--max-old-space-size=512');
    expect(command).toEqual(scripts['start:worker:prod']?.split(' '));
    expect(service('worker').command).toEqual(command);
  });
});
