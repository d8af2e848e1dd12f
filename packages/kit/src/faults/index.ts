export { CRASH_EXIT_CODE, FaultInjectedError, ServiceFaults, faultErrors, type FaultsOptions, type PaymentFaults, type RouteSite } from './faults.ts';
export { FAULT_FLAGS, FAULTS_METADATA, faultsFromFlagd, faultsToFlagd, readFlagsFile, writeFlagsFile, type FaultFlag, type FlagdFile, type FlagdFlag } from './flags.ts';
export { faultExempt } from './hooks.ts';
