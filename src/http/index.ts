export {
  DefaultHealthServerOptions,
  type HealthServer,
  type HealthServerOptions,
  type OptionalHealthServerOptions,
  type RequiredHealthServerOptions,
  startHealthServer,
} from './health-server.js';
export {
  createRedisReadinessCheck,
  DefaultReadinessOptions,
  type ReadinessCheck,
  type ReadinessCheckResult,
  type ReadinessOptions,
  type ReadinessReport,
  runReadinessChecks,
} from './readiness.js';
