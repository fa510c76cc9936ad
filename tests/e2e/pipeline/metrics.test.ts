/**
 * /metrics during a real run: the gateway and a worker serve Prometheus text on their HTTP_PORT, and the
 * counters of the pipeline move when a message is answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChorusProcess, LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { PipelineHarness } from '../../support/pipeline.js';

/** The value of a sample line like `name{labels} 3`; 0 when absent. */
function readSample(text: string, name: string, labelFilter = ''): number {
  const line = text
    .split('\n')
    .find(
      (candidate) =>
        candidate.startsWith(name) && !candidate.startsWith('#') && candidate.includes(labelFilter),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function scrape(process: ChorusProcess): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${process.httpPort}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

describe('metrics', () => {
  const pipeline = new PipelineHarness();
  let cluster: LocalCluster;
  let gateway: ChorusProcess;
  let worker: ChorusProcess;

  beforeAll(async () => {
    cluster = await pipeline.startCluster();
    [gateway, worker] = await Promise.all([cluster.spawn('gateway'), cluster.spawn('worker')]);
  }, 60_000);

  afterAll(() => pipeline.close());

  it('counts messages, jobs, AI calls and webhook posts as a message is answered', async () => {
    const { sandbox } = cluster;
    const guild = await sandbox.createGuild({ name: 'metrics' });
    const channel = await sandbox.createChannel(guild.id, { name: 'general' });
    const user = await sandbox.createUser({ username: 'counter' });
    await sandbox.addMember(guild.id, user.id);
    await pipeline.createPublicPersonality({
      ownerId: user.id,
      name: 'Metra',
      systemPrompt: 'You count.',
    });

    await sandbox.userSays(user.id, channel.id, 'nobody addressed');
    await sandbox.userSays(user.id, channel.id, '@Metra one');
    await sandbox.waitForMessages(channel.id, 3, 15_000);

    const gatewayText = await scrape(gateway);
    expect(readSample(gatewayText, 'chorus_messages_seen_total', 'reason="routed"')).toBeGreaterThanOrEqual(
      2,
    );
    expect(readSample(gatewayText, 'chorus_jobs_enqueued_total')).toBe(1);
    expect(gatewayText).toMatch(/^chorus_queue_depth\{[^}]*state="waiting"/mu);
    expect(gatewayText).toContain('process_cpu_seconds_total');

    // Webhook counters are synced every 2 s; poll briefly rather than sleep a fixed time.
    let workerText = '';
    for (let attempt = 0; attempt < 30; attempt += 1) {
      workerText = await scrape(worker);
      if (readSample(workerText, 'chorus_webhook_posts_total') >= 1) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(readSample(workerText, 'chorus_webhook_posts_total', 'outcome="posted"')).toBeGreaterThanOrEqual(
      1,
    );
    expect(readSample(workerText, 'chorus_ai_latency_seconds_count', 'provider="default"')).toBe(1);
    expect(readSample(workerText, 'chorus_job_duration_seconds_count', 'outcome="replied"')).toBe(1);
    expect(readSample(workerText, 'chorus_job_wait_seconds_count')).toBe(1);
    expect(
      readSample(workerText, 'chorus_webhook_cache_lookups_total', 'result="miss"'),
    ).toBeGreaterThanOrEqual(1);
  });
});
