/**
 * Global setup of the cluster tier (`npm run test:cluster`): one Redis Cluster (3 masters, 3 replicas, free
 * ports) for the whole run, handed to the test files as `REDIS_URL` with `REDIS_CLUSTER=true`, and stopped
 * after them.
 */
import { LocalRedisCluster } from '../../scripts/redis-cluster/redis-cluster.js';

export default async function setup(): Promise<() => Promise<void>> {
  const cluster = await LocalRedisCluster.start();
  // Read by tests/support/redis.ts and LocalCluster in the test workers, which start after this.
  process.env['REDIS_URL'] = cluster.url;
  process.env['REDIS_CLUSTER'] = 'true';
  process.env['CHORUS_TEST_REDIS_CLUSTER_PORTS'] = cluster.nodes.map((node) => node.port).join(',');
  return () => cluster[Symbol.asyncDispose]();
}
