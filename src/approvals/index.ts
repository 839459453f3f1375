export * from './approval-record';
export * from './approval-store';
export type * from './approval-types';
export { APPROVAL_STATES, CLAIM_CODES, CREATE_CODES, DECIDE_CODES, FINISH_CODES } from './approval-types';
export * from './audit';
export * from './batch-manifest';
export * from './ladder';
export * from './lua-script';
export * from './replay-gate';
