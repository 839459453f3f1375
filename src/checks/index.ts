export type { CheckResult, CheckStatus, TargetChecker } from './types';
export { createTargetChecker, type TargetCheckerOptions } from './target-checker';
