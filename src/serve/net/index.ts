export { ConnectionGovernor, ListenerGate, netGovernor, standaloneGovernor, type GateOptions } from './governor.js';
export { GovernedConnection, type ConnectionLimits } from './connection.js';
export { LogRateLimit, suppressedField } from './log-limit.js';
export { netMetrics, type NetMetrics } from './metrics.js';
export { connectionBudget, softFdLimit, parseSoftFdLimit } from './fd-limit.js';
export type { NetLimits, RefusalReason } from './limits.js';
export { governedHttpServer } from './http.js';
export { HandshakeBudget, type HandshakeLimits, type HandshakeRefusal } from './handshake.js';
export { TokenBucket } from './token-bucket.js';
