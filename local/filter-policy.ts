/**
 * The filter-policy evaluator moved to model/filter-policy.ts (ops/ and cli/ use it, and
 * must not import local/). This re-export keeps local/start.ts and local/demo-workload.ts
 * building while they are being restructured; import from model/filter-policy instead.
 * @deprecated import from ../model/filter-policy
 */
export { matchesFilterPolicy, UnsupportedFilterError, type FilterPolicyScope, type PublishedAttribute, type PublishedMessage } from '../model/filter-policy';
