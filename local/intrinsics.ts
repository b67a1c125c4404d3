/**
 * Resolves the CloudFormation intrinsic functions a synthesized Fanout template uses
 * (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::If and the
 * condition functions, Fn::FindInMap, Fn::Base64, Fn::GetAZs) to concrete values.
 *
 * Pure: what a logical id's `Ref` or attribute resolves to is asked of the caller
 * ({@link ResolverContext}), so the same code resolves against emulator resources,
 * in unit tests against a table, and never against AWS.
 */
import { FanoutError } from '../contracts/errors';

/** A CloudFormation template, as far as the local runner reads it. */
export interface CfnTemplate {
  readonly Parameters?: Record<string, { readonly Type?: string; readonly Default?: unknown }>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Conditions?: Record<string, unknown>;
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Description?: string; readonly Condition?: string }>;
}

/** One resource of a template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | readonly string[];
  readonly Condition?: string;
  readonly Metadata?: Record<string, unknown>;
}

/** A template value uses something the local runner cannot resolve; the message names where. */
export class TemplateResolutionError extends FanoutError {
  /** Where in the template, e.g. `Resources.Queue.Properties.RedrivePolicy.deadLetterTargetArn`. */
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`${path}: ${message}`, options);
    this.name = 'TemplateResolutionError';
    this.path = path;
  }
}

/** What the resolver asks of its caller. */
export interface ResolverContext {
  /** `Ref` of a resource: its physical id (a queue URL, a topic ARN, a table name...). */
  ref(logicalId: string, path: string): unknown;
  /** `Fn::GetAtt` of a resource. */
  getAtt(logicalId: string, attribute: string, path: string): unknown;
  /** Values of the pseudo parameters and template parameters (`AWS::Region`, ...). */
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** The pseudo parameters for a stack in a region and account. */
export function pseudoParameters(stackName: string, region: string, accountId: string): Record<string, unknown> {
  return {
    'AWS::Region': region,
    'AWS::AccountId': accountId,
    'AWS::Partition': region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws',
    'AWS::URLSuffix': region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com',
    'AWS::StackName': stackName,
    'AWS::StackId': `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/00000000-0000-0000-0000-000000000000`,
    'AWS::NotificationARNs': [],
  };
}

/** Marks a property that resolved to `AWS::NoValue` and must be dropped. */
const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The single key of an intrinsic function object, or undefined for plain objects. */
function intrinsicName(value: Record<string, unknown>): string | undefined {
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const [key] = keys as [string];
  return key === 'Ref' || key === 'Condition' || key.startsWith('Fn::') ? key : undefined;
}

/**
 * The logical ids a value refers to (through Ref, Fn::GetAtt and `${...}` in Fn::Sub),
 * pseudo parameters excluded: the materializer's dependency order comes from these.
 */
export function referencedLogicalIds(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedLogicalIds(item, out);
  } else if (isObject(value)) {
    const name = intrinsicName(value);
    if (name === 'Ref' && typeof value.Ref === 'string' && !value.Ref.startsWith('AWS::')) {
      out.add(value.Ref);
    } else if (name === 'Fn::GetAtt') {
      const args = value['Fn::GetAtt'];
      const target = Array.isArray(args) ? args[0] : typeof args === 'string' ? args.split('.')[0] : undefined;
      if (typeof target === 'string') out.add(target);
    } else if (name === 'Fn::Sub') {
      const args = value['Fn::Sub'];
      const text = Array.isArray(args) ? args[0] : args;
      const variables = Array.isArray(args) && isObject(args[1]) ? args[1] : {};
      if (typeof text === 'string') {
        for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const target = match[1]!.split('.')[0]!;
          if (!target.startsWith('AWS::') && !(target in variables)) out.add(target);
        }
      }
      referencedLogicalIds(variables, out);
    } else {
      for (const item of Object.values(value)) referencedLogicalIds(item, out);
    }
  }
  return out;
}

/**
 * Resolves template values against a context. Conditions are evaluated lazily and
 * cached; Fn::If and `AWS::NoValue` work as CloudFormation defines them.
 */
export class IntrinsicResolver {
  private readonly conditionCache = new Map<string, boolean>();

  constructor(
    private readonly template: CfnTemplate,
    private readonly context: ResolverContext,
  ) {}

  /**
   * Resolves every intrinsic in `value`.
   * @param path where the value sits in the template (for error messages)
   * @throws TemplateResolutionError naming the path of anything it cannot resolve
   */
  resolve(value: unknown, path: string): unknown {
    const resolved = this.resolveValue(value, path);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  /** Evaluates a named condition of the template's Conditions section. */
  condition(name: string, path = `Conditions.${name}`): boolean {
    const cached = this.conditionCache.get(name);
    if (cached !== undefined) return cached;
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new TemplateResolutionError(path, `unknown condition "${name}"`);
    const result = this.asBoolean(this.resolveValue(definition, `Conditions.${name}`), `Conditions.${name}`);
    this.conditionCache.set(name, result);
    return result;
  }

  private asBoolean(value: unknown, path: string): boolean {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw new TemplateResolutionError(path, `expected a condition (true/false), got ${JSON.stringify(value)}`);
  }

  private asString(value: unknown, path: string): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new TemplateResolutionError(path, `expected a string, got ${JSON.stringify(value)}`);
  }

  private resolveValue(value: unknown, path: string): unknown {
    if (Array.isArray(value)) {
      return value.map((item, i) => this.resolveValue(item, `${path}[${i}]`)).filter((item) => item !== NO_VALUE);
    }
    if (!isObject(value)) return value;
    const name = intrinsicName(value);
    if (name === undefined) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        const resolved = this.resolveValue(item, `${path}.${key}`);
        if (resolved !== NO_VALUE) out[key] = resolved;
      }
      return out;
    }
    const args = value[name];
    const at = `${path}.${name}`;
    switch (name) {
      case 'Ref':
        return this.ref(this.asString(args, at), at);
      case 'Condition':
        return this.condition(this.asString(args, at), at);
      case 'Fn::GetAtt':
        return this.getAtt(args, at);
      case 'Fn::Join': {
        if (!Array.isArray(args) || args.length !== 2) throw new TemplateResolutionError(at, 'expects [delimiter, [values]]');
        const delimiter = this.asString(this.resolveValue(args[0], `${at}[0]`), `${at}[0]`);
        const items = this.resolveValue(args[1], `${at}[1]`);
        if (!Array.isArray(items)) throw new TemplateResolutionError(`${at}[1]`, 'expects a list');
        return items.map((item, i) => this.asString(item, `${at}[1][${i}]`)).join(delimiter);
      }
      case 'Fn::Select': {
        if (!Array.isArray(args) || args.length !== 2) throw new TemplateResolutionError(at, 'expects [index, list]');
        const index = Number(this.resolveValue(args[0], `${at}[0]`));
        const list = this.resolveValue(args[1], `${at}[1]`);
        if (!Array.isArray(list)) throw new TemplateResolutionError(`${at}[1]`, `expects a list, got ${JSON.stringify(list)}`);
        if (!Number.isInteger(index) || index < 0 || index >= list.length) {
          throw new TemplateResolutionError(at, `index ${String(args[0])} is outside a list of ${list.length}`);
        }
        return list[index];
      }
      case 'Fn::Split': {
        if (!Array.isArray(args) || args.length !== 2) throw new TemplateResolutionError(at, 'expects [delimiter, string]');
        const delimiter = this.asString(this.resolveValue(args[0], `${at}[0]`), `${at}[0]`);
        return this.asString(this.resolveValue(args[1], `${at}[1]`), `${at}[1]`).split(delimiter);
      }
      case 'Fn::Sub':
        return this.sub(args, at);
      case 'Fn::If': {
        if (!Array.isArray(args) || args.length !== 3) throw new TemplateResolutionError(at, 'expects [condition, then, else]');
        const chosen = this.condition(this.asString(args[0], `${at}[0]`), `${at}[0]`) ? 1 : 2;
        return this.resolveValue(args[chosen], `${at}[${chosen}]`);
      }
      case 'Fn::Equals': {
        if (!Array.isArray(args) || args.length !== 2) throw new TemplateResolutionError(at, 'expects two values');
        const [a, b] = [this.resolveValue(args[0], `${at}[0]`), this.resolveValue(args[1], `${at}[1]`)];
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::Not': {
        if (!Array.isArray(args) || args.length !== 1) throw new TemplateResolutionError(at, 'expects one condition');
        return !this.asBoolean(this.resolveValue(args[0], `${at}[0]`), `${at}[0]`);
      }
      case 'Fn::And':
      case 'Fn::Or': {
        if (!Array.isArray(args) || args.length === 0) throw new TemplateResolutionError(at, 'expects a list of conditions');
        const values = args.map((item, i) => this.asBoolean(this.resolveValue(item, `${at}[${i}]`), `${at}[${i}]`));
        return name === 'Fn::And' ? values.every(Boolean) : values.some(Boolean);
      }
      case 'Fn::FindInMap': {
        if (!Array.isArray(args) || args.length < 3) throw new TemplateResolutionError(at, 'expects [map, topKey, secondKey]');
        const [map, top, second] = args.slice(0, 3).map((item, i) => this.asString(this.resolveValue(item, `${at}[${i}]`), `${at}[${i}]`)) as [
          string,
          string,
          string,
        ];
        const found = this.template.Mappings?.[map]?.[top]?.[second];
        if (found === undefined) {
          if (args.length === 4 && isObject(args[3]) && 'DefaultValue' in args[3]) return this.resolveValue(args[3].DefaultValue, `${at}[3]`);
          throw new TemplateResolutionError(at, `mapping ${map}.${top}.${second} does not exist`);
        }
        return this.resolveValue(found, at);
      }
      case 'Fn::Base64':
        return Buffer.from(this.asString(this.resolveValue(args, at), at)).toString('base64');
      case 'Fn::GetAZs': {
        const region = this.asString(this.resolveValue(args, at) || this.context.parameters['AWS::Region'], at);
        return ['a', 'b', 'c'].map((zone) => `${region}${zone}`);
      }
      case 'Fn::ToJsonString':
        return JSON.stringify(this.resolveValue(args, at));
      default:
        throw new TemplateResolutionError(at, `${name} is not supported by the local runner`);
    }
  }

  private ref(target: string, path: string): unknown {
    if (target === 'AWS::NoValue') return NO_VALUE;
    if (target in this.context.parameters) return this.context.parameters[target];
    const parameter = this.template.Parameters?.[target];
    if (parameter) {
      if (parameter.Default === undefined) throw new TemplateResolutionError(path, `parameter ${target} has no default and none was given`);
      return parameter.Default;
    }
    if (!this.template.Resources?.[target]) throw new TemplateResolutionError(path, `Ref to unknown resource or parameter "${target}"`);
    return this.context.ref(target, path);
  }

  private getAtt(args: unknown, path: string): unknown {
    let target: unknown;
    let attribute: unknown;
    if (typeof args === 'string') {
      const dot = args.indexOf('.');
      [target, attribute] = [args.slice(0, dot), args.slice(dot + 1)];
    } else if (Array.isArray(args) && args.length === 2) {
      target = args[0];
      attribute = this.resolveValue(args[1], `${path}[1]`);
    }
    if (typeof target !== 'string' || typeof attribute !== 'string' || !target || !attribute) {
      throw new TemplateResolutionError(path, `expects [logicalId, attribute], got ${JSON.stringify(args)}`);
    }
    if (!this.template.Resources?.[target]) throw new TemplateResolutionError(path, `Fn::GetAtt of unknown resource "${target}"`);
    return this.context.getAtt(target, attribute, path);
  }

  private sub(args: unknown, path: string): string {
    const [text, variables] = Array.isArray(args) ? [args[0], args[1] ?? {}] : [args, {}];
    if (typeof text !== 'string' || !isObject(variables)) throw new TemplateResolutionError(path, 'expects a string or [string, {variables}]');
    const values = Object.fromEntries(Object.entries(variables).map(([key, item]) => [key, this.resolveValue(item, `${path}[1].${key}`)]));
    // `${!Literal}` is CloudFormation's escape for a literal `${Literal}`.
    return text.replace(/\$\{([^}]*)\}/g, (whole, expression: string) => {
      if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
      if (expression in values) return this.asString(values[expression], path);
      const dot = expression.indexOf('.');
      const resolved =
        dot > 0 && !expression.startsWith('AWS::')
          ? this.getAtt([expression.slice(0, dot), expression.slice(dot + 1)], path)
          : this.ref(expression, path);
      if (resolved === NO_VALUE) throw new TemplateResolutionError(path, `${whole} resolves to AWS::NoValue`);
      return this.asString(resolved, path);
    });
  }
}
