export {
  DEFAULT_JSON_MAX_BYTES,
  XrpcClient,
  jwtExpired,
  jwtExpiry,
  needsRefresh,
  serverWaitMs,
  type XrpcBytesBody,
  type XrpcCallOptions,
  type XrpcClientOptions,
  type XrpcParamValue,
  type XrpcParams,
  type XrpcProcedureOptions,
  type XrpcStreamResult,
} from './client.js';
export { XrpcError, classify, parseErrorBody, sanitizeRemoteText, type XrpcErrorInit } from './errors.js';
export {
  MemorySessionStore,
  SessionAuth,
  accessScope,
  accessTokenExpiry,
  getSession,
  login,
  logout,
  refreshSession,
  sessionClient,
  type LoginOptions,
  type ServerSessionInfo,
  type SessionAuthOptions,
  type SessionData,
  type SessionStore,
} from './session.js';
export {
  ATPROTO_PROXY_HEADER,
  adminAuthorization,
  parseHeaderLine,
  parseHeaderLines,
  parseServiceRef,
  proxyHeader,
  type HeaderLine,
  type ServiceRef,
} from './headers.js';
export { paginate } from './paginate.js';
