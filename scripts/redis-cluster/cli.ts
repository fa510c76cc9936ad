/**
 * `npm run redis-cluster [-- --base-port 7100]`: starts a local Redis Cluster (3 masters, 3 replicas, on
 * 127.0.0.1, data in a temporary directory), prints the URL to use with `REDIS_CLUSTER=true`, and runs until
 * Ctrl-C, which stops every node and deletes the data.
 */
import { parseArgs } from 'node:util';
import { LocalRedisCluster } from './redis-cluster.js';

const DEFAULT_BASE_PORT = 7100;

const { values } = parseArgs({
  options: {
    'base-port': { type: 'string', default: String(DEFAULT_BASE_PORT) },
    'node-timeout-ms': { type: 'string', default: '2000' },
  },
});

const cluster = await LocalRedisCluster.start({
  basePort: Number(values['base-port']),
  nodeTimeoutMs: Number(values['node-timeout-ms']),
});
console.log(
  `Redis Cluster ready on 127.0.0.1:${cluster.basePort}-${cluster.basePort + cluster.nodes.length - 1} ` +
    `(data in ${cluster.dir}).\nUse REDIS_CLUSTER=true REDIS_URL=${cluster.url}\nCtrl-C stops it.`,
);
// The module's SIGINT/SIGTERM handler stops the nodes and removes the data; this only keeps the process up.
setInterval(() => undefined, 1 << 30);
