/**
 * Evaluates SNS subscription filter policies, the ones a pipeline definition gives its
 * consumers, without asking SNS: the local runner counts which consumers should
 * receive each published event (the "expected" column) with it, and `fanout route`
 * explains why an event reaches a consumer or not. Pure, and free of aws-cdk-lib, so
 * every side may use it.
 *
 * Covers what Fanout's pipelines use and the common operators: exact string, number,
 * boolean and null matches, `prefix`, `suffix`, `equals-ignore-case`, `anything-but`,
 * `numeric`, `exists`, `$or`, and nested keys with MessageBody scope. `cidr` and
 * wildcard matching raise {@link UnsupportedFilterError} rather than guessing.
 */
import { FanoutError } from '../contracts/errors';

/** Where a policy looks, as in the subscription's FilterPolicyScope. */
export type FilterPolicyScope = 'MessageAttributes' | 'MessageBody';

/** An SNS message attribute, as passed to Publish. */
export interface PublishedAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
}

/** What a filter policy is evaluated against: the published message. */
export interface PublishedMessage {
  /** The raw message body (for Fanout, the CloudEvents envelope as JSON). */
  readonly body: string;
  readonly attributes: Readonly<Record<string, PublishedAttribute>>;
}

/** A policy uses an operator this evaluator does not implement. */
export class UnsupportedFilterError extends FanoutError {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedFilterError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const MISSING: unique symbol = Symbol('missing');
type Value = Json | typeof MISSING;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numericMatches(value: number, spec: readonly unknown[]): boolean {
  for (let i = 0; i < spec.length; i += 2) {
    const [operator, bound] = [spec[i], Number(spec[i + 1])];
    const ok =
      operator === '=' ? value === bound
      : operator === '<' ? value < bound
      : operator === '<=' ? value <= bound
      : operator === '>' ? value > bound
      : operator === '>=' ? value >= bound
      : undefined;
    if (ok === undefined) throw new UnsupportedFilterError(`unknown numeric operator ${JSON.stringify(operator)}`);
    if (!ok) return false;
  }
  return true;
}

/** One scalar value against one condition of a policy's array. */
function scalarMatches(value: Json, condition: unknown): boolean {
  if (!isPlainObject(condition)) {
    // SNS compares numbers as numbers (so 5 matches 5.0) and never a string with a number.
    return typeof condition === 'number' ? typeof value === 'number' && value === condition : value === condition;
  }
  const [operator, operand] = Object.entries(condition)[0] ?? [];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && typeof operand === 'string' && value.startsWith(operand);
    case 'suffix':
      return typeof value === 'string' && typeof operand === 'string' && value.endsWith(operand);
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof operand === 'string' && value.toLowerCase() === operand.toLowerCase();
    case 'numeric':
      // Numbers only: a Number attribute (read as a number) or a JSON number in the body.
      // SNS does not read "10" in a String attribute or a JSON string as a number.
      return typeof value === 'number' && Number.isFinite(value) && Array.isArray(operand) && numericMatches(value, operand);
    case 'anything-but': {
      if (isPlainObject(operand)) return !scalarMatches(value, operand);
      const excluded = Array.isArray(operand) ? operand : [operand];
      return !excluded.some((item) => scalarMatches(value, item));
    }
    case 'exists':
      // Handled by the caller, which knows whether the key was present at all.
      return operand === true;
    default:
      throw new UnsupportedFilterError(`filter operator ${JSON.stringify(operator)} is not supported by the local runner`);
  }
}

/** A key's value (possibly an array, meaning "any of") against the policy's list of conditions. */
function valueMatches(value: Value, conditions: unknown): boolean {
  const list = Array.isArray(conditions) ? conditions : [conditions];
  return list.some((condition) => {
    if (isPlainObject(condition) && 'exists' in condition) return (value !== MISSING) === (condition.exists === true);
    if (value === MISSING) return false;
    if (Array.isArray(value)) return value.some((item) => !Array.isArray(item) && !isPlainObject(item) && scalarMatches(item, condition));
    if (isPlainObject(value)) return false;
    return scalarMatches(value, condition);
  });
}

function policyMatches(policy: Record<string, unknown>, lookup: (key: string) => Value, nested: boolean): boolean {
  return Object.entries(policy).every(([key, conditions]) => {
    if (key === '$or') {
      if (!Array.isArray(conditions)) throw new UnsupportedFilterError('$or must be a list of policies');
      return conditions.some((branch) => isPlainObject(branch) && policyMatches(branch, lookup, nested));
    }
    const value = lookup(key);
    if (isPlainObject(conditions)) {
      if (!nested) throw new UnsupportedFilterError(`nested policy under "${key}" needs FilterPolicyScope MessageBody`);
      const inner = (v: Value): boolean => {
        if (Array.isArray(v)) return v.some((item) => inner(item));
        return policyMatches(conditions, (k) => (isPlainObject(v) && k in v ? (v[k] as Json) : MISSING), nested);
      };
      return value !== MISSING && inner(value);
    }
    return valueMatches(value, conditions);
  });
}

function attributeValue(attribute: PublishedAttribute | undefined): Value {
  if (!attribute) return MISSING;
  const text = attribute.StringValue ?? '';
  if (attribute.DataType.startsWith('Number')) return Number(text);
  if (attribute.DataType.startsWith('String.Array')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (Array.isArray(parsed)) return parsed as Json[];
    } catch {
      // SNS treats a malformed array attribute as not matching array policies.
    }
    return MISSING;
  }
  return text;
}

/**
 * Whether SNS would deliver `message` to a subscription with this filter policy.
 * @param policy the subscription's FilterPolicy (object or JSON text); none = everything
 * @throws UnsupportedFilterError for operators it does not implement
 */
export function matchesFilterPolicy(policy: Record<string, unknown> | string | undefined, scope: FilterPolicyScope, message: PublishedMessage): boolean {
  if (policy === undefined || policy === '') return true;
  const parsed = typeof policy === 'string' ? (JSON.parse(policy) as unknown) : policy;
  if (!isPlainObject(parsed)) throw new UnsupportedFilterError('a filter policy must be a JSON object');
  if (scope === 'MessageBody') {
    let body: unknown;
    try {
      body = JSON.parse(message.body);
    } catch {
      // SNS does not deliver a non-JSON body to a MessageBody-scoped subscription.
      return false;
    }
    if (!isPlainObject(body)) return false;
    return policyMatches(parsed, (key) => (key in body ? (body[key] as Json) : MISSING), true);
  }
  return policyMatches(parsed, (key) => attributeValue(message.attributes[key]), false);
}
