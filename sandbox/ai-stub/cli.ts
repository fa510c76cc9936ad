/**
 * Runs the AI stub on its own: `npx tsx sandbox/ai-stub/cli.ts [--port 8787] [--latency 200] [--error-rate 0.1]
 * [--error-status 503] [--seed 1]`. Prints the base URL to give Chorus as `AI_BASE_URL`; Ctrl-C stops it.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../../src/log/index.js';
import { AiStub } from './ai-stub.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    latency: { type: 'string', default: '0' },
    'error-rate': { type: 'string', default: '0' },
    'error-status': { type: 'string', default: '503' },
    seed: { type: 'string', default: '1' },
    verbose: { type: 'boolean', default: false },
  },
});

const numbers = {
  port: Number(values.port),
  latency: Number(values.latency),
  errorRate: Number(values['error-rate']),
  errorStatus: Number(values['error-status']),
  seed: Number(values.seed),
};
for (const [name, value] of Object.entries(numbers)) {
  if (!Number.isFinite(value)) {
    console.error(`--${name} must be a number`);
    process.exit(2);
  }
}

const stub = await AiStub.start({
  port: numbers.port,
  seed: numbers.seed,
  behaviour: { latency: numbers.latency, errorRate: numbers.errorRate, errorStatus: numbers.errorStatus },
  logger: createLogger({ service: 'ai-stub', level: values.verbose ? 'debug' : 'info' }),
});
console.log(`AI stub listening: AI_BASE_URL=${stub.baseUrl}`);

const stop = () => {
  void stub.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
