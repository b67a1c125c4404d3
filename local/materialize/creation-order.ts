/** The order the materializer creates a template's resources in. */
import { referencedLogicalIds, TemplateResolutionError, type CfnTemplate } from '../intrinsics';

// Among resources that do not refer to each other, this order of types keeps runs
// repeatable and puts what others usually name (keys, queues, topics) first.
const TYPE_ORDER = [
  'AWS::KMS::Key',
  'AWS::SQS::Queue',
  'AWS::SNS::Topic',
  'AWS::SNS::Subscription',
  'AWS::DynamoDB::Table',
  'AWS::Glue::Registry',
  'AWS::Glue::Schema',
  'AWS::Glue::SchemaVersion',
];

/**
 * Orders resources so each comes after what it refers to; among independent ones the
 * template's order stands, per type group, so runs are repeatable.
 * @throws TemplateResolutionError on a dependency cycle
 */
export function creationOrder(template: CfnTemplate): string[] {
  const resources = template.Resources ?? {};
  const ids = Object.keys(resources);
  const rank = (id: string) => {
    const index = TYPE_ORDER.indexOf(resources[id]!.Type);
    return index < 0 ? TYPE_ORDER.length : index;
  };
  const dependencies = new Map<string, Set<string>>();
  for (const id of ids) {
    const resource = resources[id]!;
    const deps = referencedLogicalIds(resource.Properties ?? {});
    const dependsOn = resource.DependsOn === undefined ? [] : typeof resource.DependsOn === 'string' ? [resource.DependsOn] : resource.DependsOn;
    for (const dep of dependsOn) deps.add(dep);
    for (const dep of [...deps]) if (!(dep in resources) || dep === id) deps.delete(dep);
    dependencies.set(id, deps);
  }
  const order: string[] = [];
  const done = new Set<string>();
  const remaining = [...ids].sort((a, b) => rank(a) - rank(b) || ids.indexOf(a) - ids.indexOf(b));
  while (remaining.length > 0) {
    const next = remaining.findIndex((id) => [...dependencies.get(id)!].every((dep) => done.has(dep)));
    if (next < 0) throw new TemplateResolutionError('Resources', `dependency cycle among ${remaining.join(', ')}`);
    const [id] = remaining.splice(next, 1) as [string];
    order.push(id);
    done.add(id);
  }
  return order;
}
