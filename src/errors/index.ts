export { ChorusError, ChorusErrorCode, type ChorusErrorContext, UserFacingError } from './chorus-error.js';
