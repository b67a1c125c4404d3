/**
 * The core of the compatibility checker: a diff of two JSON Schemas that lists every
 * change with its kind and JSON pointer and says whether each keeps the later schema
 * BACKWARD compatible, i.e. whether a reader using the later schema still accepts every
 * document the earlier one accepted. FORWARD, FULL and the *_ALL modes are built on
 * this one direction (see ./modes).
 *
 * How it decides:
 * - both schemas are read as shapes (./shape): typed constraints, enums, `not`,
 *   conditions, and their sums (anyOf / oneOf / type arrays) and products (allOf, or
 *   several kinds of keyword in one schema);
 * - a sum is accepted when each of its branches is; a branch is accepted when some
 *   branch of the other side accepts it; a product is accepted when one of its parts
 *   is, and accepts when all of its parts do;
 * - typed constraints compare keyword by keyword (./scalar-diff, ./object-diff,
 *   ./array-diff);
 * - where the earlier schema allows a finite set of values (`enum`, `const`), the
 *   verdict is exact: each value is validated against the later schema with ajv;
 * - `$ref`s inside the document are followed (into `definitions` and 2020-12 `$defs`
 *   alike); a recursive schema is compared coinductively (a pair already being compared
 *   is assumed compatible), which is what makes the comparison of recursive types terminate;
 * - a `$ref` with constraining siblings is the product of its target and its siblings
 *   (2020-12 says so; the draft-07 text ignores the siblings but ajv applies them, so a
 *   draft-07 writer is read without them and a draft-07 reader with them);
 * - each document is read as its own draft declares (draft-07 or 2020-12; a version pair
 *   may mix them), and the 2020-12 keywords are compared by ./array-diff, ./object-diff
 *   and ./unevaluated.
 * Where the checker has to approximate, it reads the earlier (writer's) schema as
 * accepting at least what it accepts and the later (reader's) as accepting at most what
 * it accepts: a compatible verdict stays true, and what it cannot prove is reported as
 * breaking, never passed silently.
 * Known limits: `oneOf`'s "exactly one" is treated as "at least one" (as the
 * conformance vectors do); `$ref`s to other documents are reported, not followed.
 */
import type { SchemaChange, SchemaDiff, SchemaWarning } from './changes';
import { BREAKS, KEEPS, allCompatible, change, schemaPointer, show, showList, type DiffContext } from './diff-context';
import { diffArray } from './array-diff';
import { diffObject } from './object-diff';
import { diffNumber, diffString } from './scalar-diff';
import { SchemaDraft } from '../validation';
import { SchemaDocument, containsRef, deepEqual, isObject, type JsonSchema, type JsonSchemaObject, type Located } from './schema-document';
import {
  describeShape,
  isProduct,
  isSum,
  isUnconstrained,
  isUnresolved,
  typesOf,
  type CombinedShape,
  type EnumShape,
  type RefShape,
  type Shape,
  type TypedShape,
} from './shape';

const ANNOTATION_KINDS = new Set(['ID_CHANGED', 'TITLE_CHANGED', 'DESCRIPTION_CHANGED']);

/** Which side of a comparison a subschema is read for: the writer's (earlier) or the reader's (later). */
type Role = 'writer' | 'reader';

/**
 * Compares an earlier schema with a later one (BACKWARD: the later one reads data
 * written with the earlier one).
 * @param earlier the schema data was written with (the registered, previous version)
 * @param later the schema readers use (the new version)
 * @throws InvalidSchemaError when either is not a JSON Schema (object or boolean)
 */
export function diffSchemas(earlier: unknown, later: unknown): SchemaDiff {
  const differ = new Differ(new SchemaDocument(earlier, 'the earlier schema'), new SchemaDocument(later, 'the later schema'));
  return differ.run();
}

function dedupe(changes: readonly SchemaChange[]): SchemaChange[] {
  const seen = new Set<string>();
  return changes.filter((c) => {
    const key = `${c.kind} ${c.pointer} ${c.compatible}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function incompatibleCount(changes: readonly SchemaChange[]): number {
  return changes.filter((c) => !c.compatible).length;
}

/** Index of the closest match: fewest incompatible changes, then fewest changes, then `preferred`. */
function best(results: readonly SchemaChange[][], preferred?: number): number {
  let chosen = -1;
  results.forEach((changes, index) => {
    if (chosen < 0) {
      chosen = index;
      return;
    }
    const current = results[chosen]!;
    const key = [incompatibleCount(changes), changes.length, index === preferred ? 0 : 1];
    const currentKey = [incompatibleCount(current), current.length, chosen === preferred ? 0 : 1];
    for (let i = 0; i < key.length; i++) {
      if (key[i]! < currentKey[i]!) {
        chosen = index;
        return;
      }
      if (key[i]! > currentKey[i]!) return;
    }
  });
  return chosen;
}

/**
 * Siblings that only imply a type (`properties` without `type`) beside a reference whose
 * target declares that type: every value the writer accepts has the type, so its siblings
 * part may say so. Otherwise comparing that part alone would see "type added" where the
 * reader declares it.
 */
function withTypeDeclaredBy(target: Shape, siblings: Shape): Shape {
  if (target.kind !== 'typed' || !target.declared || siblings.kind !== 'typed' || siblings.declared || siblings.type !== target.type) return siblings;
  return { ...siblings, declared: true, key: `${siblings.key}:declared-by-reference` };
}

function describeMember(shape: Shape, noun: 'alternative' | 'part'): string {
  if (shape.kind === 'typed') return noun === 'alternative' ? `the ${shape.type} alternative` : `the ${shape.type} constraints`;
  if (shape.kind === 'enum') return `the ${shape.keyword} ${showList(shape.values)}`;
  if (shape.kind === 'not') return '"not"';
  if (shape.kind === 'condition') return 'if / then / else';
  if (shape.kind === 'combined' && isExplicit(shape)) return `the ${shape.combinator} at ${schemaPointer(shape.pointer)}`;
  return `the subschema at ${schemaPointer(shape.pointer)}`;
}

function combinatorName(shape: CombinedShape): string {
  return shape.combinator === 'type' ? 'type list' : shape.combinator === 'keywords' ? 'schema' : shape.combinator;
}

function isExplicit(shape: CombinedShape): boolean {
  return shape.combinator === 'allOf' || shape.combinator === 'anyOf' || shape.combinator === 'oneOf';
}

function disjointTypes(a: string, b: string): boolean {
  return a !== b && !((a === 'integer' && b === 'number') || (a === 'number' && b === 'integer'));
}

class Differ implements DiffContext {
  private readonly warnings = new Map<string, SchemaWarning>();
  private readonly inProgress = new Set<string>();
  private readonly memo = new Map<string, SchemaChange[]>();

  constructor(
    private readonly earlier: SchemaDocument,
    private readonly later: SchemaDocument,
  ) {}

  run(): SchemaDiff {
    const changes = this.compareSets([this.earlier.top], [this.later.top], '#');
    return { compatible: allCompatible(changes), changes, warnings: [...this.warnings.values()] };
  }

  warn(pointer: string, message: string): void {
    this.warnings.set(`${pointer} ${message}`, { pointer, message });
  }

  resolvedSchema(located: Located): JsonSchema {
    const target = located.document.resolve(located);
    // An unresolvable reference stands for itself: a schema whose constraints are unknown,
    // never "accepts anything" (which would let a change through unchecked).
    return isUnresolved(target) ? target.at.schema : target.schema;
  }

  compareSets(earlier: readonly Located[], later: readonly Located[], pointer: string): SchemaChange[] {
    return dedupe(this.compare(this.shapeOfSet(earlier, pointer, 'writer'), this.shapeOfSet(later, pointer, 'reader')));
  }

  /**
   * The shape of a subschema. `role` matters only where a draft-07 `$ref` has constraining
   * siblings: the draft-07 text ignores them, ajv applies them. Read as accepting more for
   * the writer (siblings ignored) and less for the reader (siblings applied), a compatible
   * verdict holds under either reading. In 2020-12 they always apply.
   */
  private shapeOf(located: Located, pointer: string, role: Role): Shape {
    const applySiblings = role === 'reader' || located.document.draft === SchemaDraft.Draft2020_12;
    const target = located.document.resolve(located, applySiblings);
    if (!isUnresolved(target) && applySiblings && target.document.hasConstrainingSiblings(target)) return this.referenceWithSiblings(target, pointer, role);
    return describeShape(target, pointer, this.memberDescriber(role));
  }

  private memberDescriber(role: Role) {
    return (parent: Located, keyword: string, index: number, memberPointer: string): Shape => {
      const member = parent.document.child(parent, keyword, index) ?? { document: parent.document, location: `${parent.location}/${keyword}/${index}`, schema: true };
      return this.shapeOf(member, memberPointer, role);
    };
  }

  /**
   * A `$ref` with constraining siblings accepts what its target accepts and what the
   * siblings accept: a product of the two, compared like any other. Members are made
   * lazily so that a reference to an enclosing schema does not loop.
   */
  private referenceWithSiblings(node: Located, pointer: string, role: Role): CombinedShape {
    let cached: readonly Shape[] | undefined;
    const members = () => {
      if (cached) return cached;
      const target = this.shapeOf(node.document.referenceOnly(node), pointer, role);
      const siblings = describeShape(node, pointer, this.memberDescriber(role));
      return (cached = [target, role === 'writer' ? withTypeDeclaredBy(target, siblings) : siblings]);
    };
    return { kind: 'combined', combinator: 'keywords', members, node, pointer, whole: true, key: `${node.document.key}${node.location}#reference-and-siblings` };
  }

  private shapeOfSet(nodes: readonly Located[], pointer: string, role: Role): Shape {
    if (nodes.length === 1) return this.shapeOf(nodes[0]!, pointer, role);
    if (nodes.length === 0) {
      const node = { document: this.later, location: '', schema: true } as const;
      return { kind: 'any', node, pointer, whole: false, key: `any@${pointer}` };
    }
    // Several schemas apply at once (a property and the patternProperties matching its name).
    const members = nodes.map((node) => this.shapeOf(node, pointer, role));
    const node = nodes[0]!;
    return { kind: 'combined', combinator: 'keywords', members: () => members, node, pointer, whole: false, key: members.map((m) => m.key).join('&') };
  }

  private compare(earlier: Shape, later: Shape): SchemaChange[] {
    const pair = `${earlier.key}|${later.key}`;
    const key = `${pair}|${earlier.pointer}`;
    const cached = this.memo.get(key);
    if (cached) return cached;
    // Already comparing this pair further up (at a shorter pointer): a recursive schema.
    // Assuming compatibility here is sound for the same reason as for recursive types:
    // any real difference shows up at a finite depth, outside the cycle.
    if (this.inProgress.has(pair)) return [];
    this.inProgress.add(pair);
    try {
      // Unchanged subschemas (most of a new version) need no work, unless a $ref inside
      // them may point at a definition that did change.
      if (earlier.whole && later.whole && deepEqual(earlier.node.schema, later.node.schema) && !containsRef(earlier.node.schema)) {
        this.memo.set(key, []);
        return [];
      }
      const changes: SchemaChange[] = [];
      if (earlier.whole && later.whole) changes.push(...this.annotations(earlier, later));
      let structural = this.structural(earlier, later);
      if (earlier.whole && later.whole) structural = this.exactForFiniteValues(earlier, later, structural);
      const result = dedupe([...changes, ...structural]);
      this.memo.set(key, result);
      return result;
    } finally {
      this.inProgress.delete(pair);
    }
  }

  private annotations(earlier: Shape, later: Shape): SchemaChange[] {
    const before = earlier.node.schema;
    const now = later.node.schema;
    if (!isObject(before) || !isObject(now)) return [];
    const at = schemaPointer(earlier.pointer);
    const changes: SchemaChange[] = [];
    for (const [keyword, kind] of [
      ['$id', 'ID_CHANGED'],
      ['title', 'TITLE_CHANGED'],
      ['description', 'DESCRIPTION_CHANGED'],
    ] as const) {
      if (!deepEqual(before[keyword], now[keyword])) {
        changes.push(change(kind, at, true, `${keyword} changed from ${show(before[keyword] ?? '(none)')} to ${show(now[keyword] ?? '(none)')}: an annotation, validation is unaffected`));
      }
    }
    return changes;
  }

  /**
   * Where the earlier schema admits a finite set of values (an enum or const, or only
   * booleans / null against a later enum), the exact answer is cheap: validate each
   * value against the later schema. The keyword comparison still names the changes;
   * this only corrects its verdict when it was too cautious or not cautious enough.
   */
  private exactForFiniteValues(earlier: Shape, later: Shape, structural: SchemaChange[]): SchemaChange[] {
    const candidates = this.finiteCandidates(earlier.node, later.node);
    if (!candidates) return structural;
    const allowed: unknown[] = [];
    for (const value of candidates) {
      const verdict = earlier.node.document.accepts(earlier.node.location, value);
      if (verdict === undefined) return structural;
      if (verdict) allowed.push(value);
    }
    const rejected: unknown[] = [];
    for (const value of allowed) {
      const verdict = later.node.document.accepts(later.node.location, value);
      if (verdict === undefined) return structural;
      if (!verdict) rejected.push(value);
    }
    const compatible = rejected.length === 0;
    if (compatible === allCompatible(structural)) return structural;
    if (compatible) {
      return structural.map((c) => (c.compatible ? c : { ...c, compatible: true, message: `${c.message} (yet every value allowed before, ${showList(allowed)}, is still accepted)` }));
    }
    return [
      ...structural,
      change('ENUM_VALUES_REJECTED', schemaPointer(earlier.pointer), false, `values ${showList(rejected)} were valid before and are rejected now`),
    ];
  }

  private finiteCandidates(earlier: Located, later: Located): readonly unknown[] | undefined {
    const target = earlier.document.resolve(earlier);
    if (isUnresolved(target) || !isObject(target.schema)) return undefined;
    const schema = target.schema;
    const own = this.enumValues(schema);
    if (own) return own;
    if (Array.isArray(schema.allOf)) {
      for (let index = 0; index < schema.allOf.length; index++) {
        const member = earlier.document.child(target, 'allOf', index);
        const memberSchema = member ? this.resolvedSchema(member) : undefined;
        const values = isObject(memberSchema) ? this.enumValues(memberSchema) : undefined;
        if (values) return values;
      }
    }
    const laterSchema = this.resolvedSchema(later);
    const { types, declared } = typesOf(schema, target.document.draft);
    if (declared && types.length > 0 && types.every((t) => t === 'boolean' || t === 'null') && isObject(laterSchema) && this.enumValues(laterSchema)) {
      return [true, false, null];
    }
    return undefined;
  }

  private enumValues(schema: JsonSchemaObject): readonly unknown[] | undefined {
    if (Array.isArray(schema.enum)) return schema.enum;
    if (Object.hasOwn(schema, 'const')) return [schema.const];
    return undefined;
  }

  private structural(earlier: Shape, later: Shape): SchemaChange[] {
    const at = schemaPointer(earlier.pointer);
    if (later.kind === 'any' || earlier.kind === 'none') return [];
    if (earlier.kind === 'any') {
      return [change('TYPE_NARROWED', at, false, `any value was accepted before, now only values matching the new schema: ${BREAKS}`)];
    }
    if (later.kind === 'none') return [change('TYPE_NARROWED', at, false, `the schema is false now and accepts nothing: every document valid before is rejected now`)];
    if (earlier.kind === 'ref' || later.kind === 'ref') {
      if (earlier.kind === 'ref' && later.kind === 'ref' && earlier.ref === later.ref && !earlier.dynamic && !later.dynamic) return [];
      const reference = earlier.kind === 'ref' ? earlier : (later as RefShape);
      return [
        reference.dynamic
          ? change(
              'REFERENCE_UNRESOLVED',
              at,
              false,
              `$dynamicRef ${show(reference.ref)} resolves through the dynamic scope, which the checker follows only for a single resource with a single matching $dynamicAnchor; use $ref, or keep one $dynamicAnchor of that name`,
            )
          : change('REFERENCE_UNRESOLVED', at, false, `$ref ${show(reference.ref)} points outside this document and cannot be compared; inline it or keep it identical in both versions`),
      ];
    }
    const earlierCombined = earlier.kind === 'combined';
    const laterCombined = later.kind === 'combined';
    if (earlierCombined && laterCombined) return this.combinedBoth(earlier, later);
    if (earlierCombined) return isSum(earlier) ? this.sumToOne(earlier, later) : this.productToOne(earlier, later);
    if (laterCombined) return isSum(later) ? this.oneToSum(earlier, later) : this.oneToProduct(earlier, later);

    if (earlier.kind === 'enum') return this.enumTo(earlier, later);
    if (later.kind === 'enum') return this.toEnum(earlier, later);
    if (earlier.kind === 'not' && later.kind === 'not') return this.notToNot(earlier, later);
    if (later.kind === 'not') return this.toNot(earlier, later);
    if (earlier.kind === 'condition' && later.kind === 'condition') return this.conditionToCondition(earlier, later);
    if (later.kind === 'condition') {
      return [change('CONDITION_ADDED', at, false, `if / then / else added: documents matching "if" but not "then" (or neither "if" nor "else") are rejected now`)];
    }
    if (earlier.kind === 'not' || earlier.kind === 'condition') {
      return [change('TYPE_NARROWED', at, false, `the earlier schema was only constrained by ${earlier.kind === 'not' ? '"not"' : 'if / then / else'}; the later one constrains values differently: ${BREAKS}`)];
    }
    return this.typed(earlier as TypedShape, later as TypedShape);
  }

  // ---- sums and products -------------------------------------------------------------

  private combinedBoth(earlier: CombinedShape, later: CombinedShape): SchemaChange[] {
    const at = schemaPointer(earlier.pointer);
    if (isSum(earlier) && isSum(later)) {
      const criterion: SchemaChange[] = [];
      if (isExplicit(earlier) && isExplicit(later) && earlier.combinator !== later.combinator) {
        if (earlier.combinator === 'oneOf') {
          criterion.push(change('COMBINED_TYPE_EXTENDED', at, true, `oneOf became anyOf: a value may now match several alternatives: ${KEEPS}`));
        } else {
          const safe = earlier.members().length <= 1 || this.pairwiseDisjoint(later.members());
          criterion.push(
            change(
              'COMBINED_TYPE_CHANGED',
              at,
              safe,
              safe ? `anyOf became oneOf, and no value can match two alternatives: ${KEEPS}` : `anyOf became oneOf: values matching more than one alternative were valid before and are rejected now`,
            ),
          );
        }
      }
      return [...criterion, ...this.sumToSum(earlier, later)];
    }
    if (isProduct(earlier) && isProduct(later)) return this.productToProduct(earlier, later);
    // A sum became a product or the other way round: try each sound way of reading it.
    const attempts = isSum(earlier)
      ? [() => this.sumToOne(earlier, later), () => this.oneToProduct(earlier, later)]
      : [() => this.productToOne(earlier, later), () => this.oneToSum(earlier, later)];
    const results = attempts.map((attempt) => attempt());
    const compatible = results.find(allCompatible);
    const explicit = isExplicit(earlier) && isExplicit(later);
    if (compatible) {
      return explicit ? [change('COMBINED_TYPE_EXTENDED', at, true, `${earlier.combinator} became ${later.combinator}: ${KEEPS}`), ...compatible] : compatible;
    }
    const closest = results[best(results)]!;
    return explicit
      ? [change('COMBINED_TYPE_CHANGED', at, false, `${earlier.combinator} became ${later.combinator}: ${BREAKS}`, closest)]
      : closest;
  }

  private pairwiseDisjoint(members: readonly Shape[]): boolean {
    return members.every((a, i) =>
      members.every((b, j) => i === j || (a.kind === 'typed' && b.kind === 'typed' && a.declared && b.declared && disjointTypes(a.type, b.type))),
    );
  }

  /** Sum to sum: every earlier branch must be accepted by some later branch. */
  private sumToSum(earlier: CombinedShape, later: CombinedShape): SchemaChange[] {
    const before = earlier.members();
    const now = later.members();
    const matched: SchemaChange[] = [];
    const unmatched: { member: Shape; closest: SchemaChange[] }[] = [];
    before.forEach((member, index) => {
      const results = now.map((candidate) => this.compare(member, candidate));
      const chosen = results[best(results, index)] ?? [];
      if (allCompatible(chosen) && results.length > 0) matched.push(...chosen);
      else unmatched.push({ member, closest: chosen });
    });
    const at = schemaPointer(earlier.pointer);
    const name = combinatorName(later);
    if (unmatched.length === 0) {
      const extended = now.length > before.length ? [change('SUM_TYPE_EXTENDED', at, true, `the ${name} has more alternatives now (${before.length} → ${now.length}): ${KEEPS}`)] : [];
      return [...extended, ...matched];
    }
    const which = unmatched.map((u) => describeMember(u.member, 'alternative')).join(', ');
    const causes = unmatched.flatMap((u) => u.closest);
    const kind = now.length < before.length ? 'SUM_TYPE_NARROWED' : 'COMBINED_TYPE_SUBSCHEMAS_CHANGED';
    return [change(kind, at, false, `no alternative of the new ${name} accepts everything ${which} accepted: ${BREAKS}`, causes), ...matched];
  }

  /** Product to product: every later part must accept some earlier part. */
  private productToProduct(earlier: CombinedShape, later: CombinedShape): SchemaChange[] {
    const before = earlier.members();
    const now = later.members();
    const matched: SchemaChange[] = [];
    const unmatched: { member: Shape; closest: SchemaChange[] }[] = [];
    now.forEach((member, index) => {
      const results = before.map((candidate) => this.compare(candidate, member));
      const chosen = results[best(results, index)] ?? [];
      if (allCompatible(chosen) && results.length > 0) matched.push(...chosen);
      else unmatched.push({ member, closest: chosen });
    });
    const at = schemaPointer(earlier.pointer);
    const name = combinatorName(later);
    if (unmatched.length === 0) {
      const narrowed = now.length < before.length ? [change('PRODUCT_TYPE_NARROWED', at, true, `the ${name} has fewer constraints now (${before.length} → ${now.length}): ${KEEPS}`)] : [];
      return [...narrowed, ...matched];
    }
    const causes = unmatched.flatMap((u) => u.closest);
    // Keywords side by side in one schema: the closest changes say it better than a wrapper.
    if (earlier.combinator === 'keywords' && later.combinator === 'keywords') return [...causes, ...matched];
    const which = unmatched.map((u) => describeMember(u.member, 'part')).join(', ');
    const kind = now.length > before.length ? 'PRODUCT_TYPE_EXTENDED' : 'COMBINED_TYPE_SUBSCHEMAS_CHANGED';
    return [change(kind, at, false, `the new ${name} adds constraints (${which}) that reject values the earlier schema accepted: ${BREAKS}`, causes), ...matched];
  }

  /** A sum against anything else: each of its branches must be accepted. */
  private sumToOne(earlier: CombinedShape, later: Shape): SchemaChange[] {
    const results = earlier.members().map((member) => ({ member, changes: this.compare(member, later) }));
    const failing = results.filter((r) => !allCompatible(r.changes));
    const passing = results.filter((r) => allCompatible(r.changes)).flatMap((r) => r.changes);
    if (failing.length === 0) return passing;
    const which = failing.map((r) => describeMember(r.member, 'alternative')).join(', ');
    return [
      change('SUM_TYPE_NARROWED', schemaPointer(earlier.pointer), false, `${which} of the earlier ${combinatorName(earlier)} is no longer accepted: ${BREAKS}`, failing.flatMap((r) => r.changes)),
      ...passing,
    ];
  }

  /** A product against anything else: accepted when one of its parts is. */
  private productToOne(earlier: CombinedShape, later: Shape): SchemaChange[] {
    const members = earlier.members();
    const results = members.map((member) => this.compare(member, later));
    const chosen = results[best(results)] ?? [];
    if (!allCompatible(chosen)) return chosen;
    if (members.length <= 1) return chosen;
    return [change('PRODUCT_TYPE_NARROWED', schemaPointer(earlier.pointer), true, `fewer constraints apply now than the earlier ${combinatorName(earlier)}: ${KEEPS}`), ...chosen];
  }

  /** Anything against a sum: accepted when one branch accepts it. */
  private oneToSum(earlier: Shape, later: CombinedShape): SchemaChange[] {
    const members = later.members();
    const results = members.map((member) => this.compare(earlier, member));
    const chosen = results[best(results)] ?? [];
    if (!allCompatible(chosen) || members.length <= 1) return chosen;
    return [change('SUM_TYPE_EXTENDED', schemaPointer(earlier.pointer), true, `the later ${combinatorName(later)} accepts other alternatives as well: ${KEEPS}`), ...chosen];
  }

  /** Anything against a product: every part must accept it. */
  private oneToProduct(earlier: Shape, later: CombinedShape): SchemaChange[] {
    return later.members().flatMap((member) => this.compare(earlier, member));
  }

  // ---- enums, not, conditions ----------------------------------------------------------

  private enumTo(earlier: EnumShape, later: Shape): SchemaChange[] {
    const at = `${earlier.pointer}/${earlier.keyword}`;
    if (later.kind === 'enum') {
      const removed = earlier.values.filter((value) => !later.values.some((other) => deepEqual(value, other)));
      const added = later.values.filter((value) => !earlier.values.some((other) => deepEqual(value, other)));
      if (removed.length === 0 && added.length === 0) return [];
      if (removed.length === 0) return [change('ENUM_ARRAY_EXTENDED', at, true, `values ${showList(added)} added: ${KEEPS}`)];
      if (added.length === 0) return [change('ENUM_ARRAY_NARROWED', at, false, `values ${showList(removed)} removed: documents with them were valid before and are rejected now`)];
      return [
        change('ENUM_ARRAY_CHANGED', at, false, `values ${showList(removed)} replaced by ${showList(added)}: documents with the old values were valid before and are rejected now`),
      ];
    }
    const rejected: unknown[] = [];
    for (const value of earlier.values) {
      const verdict = later.node.document.accepts(later.node.location, value);
      if (verdict !== true) rejected.push(value);
    }
    if (rejected.length === 0) return [change('ENUM_ARRAY_REMOVED', at, true, `${earlier.keyword} removed; the later schema accepts every value it listed: ${KEEPS}`)];
    return [change('ENUM_VALUES_REJECTED', at, false, `${earlier.keyword} removed, and the later schema rejects ${showList(rejected)}, which were valid before`)];
  }

  private toEnum(earlier: Shape, later: EnumShape): SchemaChange[] {
    // Booleans and null have so few values that an enum can list them all.
    if (earlier.kind === 'typed' && earlier.declared && (earlier.type === 'boolean' || earlier.type === 'null')) {
      const domain = earlier.type === 'boolean' ? [true, false] : [null];
      if (domain.every((value) => later.values.some((other) => deepEqual(value, other)))) {
        return [change('ENUM_ARRAY_ADDED', `${earlier.pointer}/${later.keyword}`, true, `${later.keyword} added, listing every ${earlier.type} value: ${KEEPS}`)];
      }
    }
    return [
      change(
        'ENUM_ARRAY_ADDED',
        `${earlier.pointer}/${later.keyword}`,
        false,
        `${later.keyword} added: only ${showList(later.values)} ${later.values.length === 1 ? 'is' : 'are'} accepted now; other values were valid before and are rejected now`,
      ),
    ];
  }

  private notToNot(earlier: Shape, later: Shape): SchemaChange[] {
    const at = `${earlier.pointer}/not`;
    const excludedBefore = earlier.node.document.child(earlier.node, 'not')!;
    const excludedNow = later.node.document.child(later.node, 'not')!;
    // "not A" accepts everything "not B" did exactly when B accepts everything A did.
    const reversed = this.compareSets([excludedNow], [excludedBefore], at).filter((c) => !ANNOTATION_KINDS.has(c.kind));
    if (reversed.length === 0) return [];
    if (allCompatible(reversed)) return [change('NOT_TYPE_NARROWED', at, true, `"not" excludes fewer values now: ${KEEPS}`)];
    const forward = this.compareSets([excludedBefore], [excludedNow], at);
    const kind = allCompatible(forward) ? 'NOT_TYPE_EXTENDED' : 'NOT_TYPE_CHANGED';
    return [change(kind, at, false, `"not" excludes values now that it did not exclude before: ${BREAKS}`, reversed.filter((c) => !c.compatible))];
  }

  private toNot(earlier: Shape, later: Shape): SchemaChange[] {
    const at = `${earlier.pointer}/not`;
    const excluded = later.node.document.child(later.node, 'not')!;
    // Disjointness needs the excluded values read as broadly as they may be: the writer's reading.
    const excludedShape = this.shapeOf(excluded, at, 'writer');
    // Compatible when nothing the earlier schema accepted is excluded: disjoint types, or
    // excluded values the earlier schema rejects anyway.
    let disjoint = false;
    if (earlier.kind === 'typed' && earlier.declared && excludedShape.kind === 'typed' && excludedShape.declared) {
      disjoint = disjointTypes(earlier.type, excludedShape.type);
    } else if (excludedShape.kind === 'enum') {
      disjoint = excludedShape.values.every((value) => earlier.node.document.accepts(earlier.node.location, value) === false);
    }
    return disjoint
      ? [change('NOT_ADDED', at, true, `"not" added, excluding only values the earlier schema already rejected: ${KEEPS}`)]
      : [change('NOT_ADDED', at, false, `"not" added: values it excludes were valid before and are rejected now`)];
  }

  private conditionToCondition(earlier: Shape, later: Shape): SchemaChange[] {
    const before = earlier.node.schema as JsonSchemaObject;
    const now = later.node.schema as JsonSchemaObject;
    const at = schemaPointer(earlier.pointer);
    const branch = (node: Located, keyword: 'then' | 'else') => {
      const child = node.document.child(node, keyword);
      return child ? [child] : [];
    };
    if (deepEqual(before.if, now.if)) {
      return [
        ...this.compareSets(branch(earlier.node, 'then'), branch(later.node, 'then'), `${earlier.pointer}/then`),
        ...this.compareSets(branch(earlier.node, 'else'), branch(later.node, 'else'), `${earlier.pointer}/else`),
      ];
    }
    const constrains = (node: Located, keyword: 'then' | 'else') => {
      const child = node.document.child(node, keyword);
      return child !== undefined && !isUnconstrained(this.resolvedSchema(child));
    };
    if (!constrains(later.node, 'then') && !constrains(later.node, 'else')) {
      return [change('CONDITION_REMOVED', at, true, `the if / then / else no longer constrains anything: ${KEEPS}`)];
    }
    return [change('CONDITION_CHANGED', at, false, `the "if" of if / then / else changed, so other documents must now match "then" / "else": ${BREAKS}`)];
  }

  // ---- typed constraints ---------------------------------------------------------------

  private typed(earlier: TypedShape, later: TypedShape): SchemaChange[] {
    const at = schemaPointer(earlier.pointer);
    const changes: SchemaChange[] = [];
    if (earlier.type !== later.type) {
      if (earlier.type === 'integer' && later.type === 'number') {
        changes.push(change('TYPE_EXTENDED', at, true, `type changed from integer to number: ${KEEPS}`));
      } else if (earlier.type === 'number' && later.type === 'integer') {
        changes.push(change('TYPE_NARROWED', at, false, `type changed from number to integer: numbers with a fraction were valid before and are rejected now`));
      } else {
        return [change('TYPE_CHANGED', at, false, `type changed from ${earlier.type} to ${later.type}: every ${earlier.type} valid before is rejected now`)];
      }
    }
    if (!earlier.declared && later.declared) {
      changes.push(
        change('TYPE_NARROWED', at, false, `"type": "${later.type}" added where no type was declared: values of other types were valid before and are rejected now`),
      );
    } else if (earlier.declared && !later.declared) {
      changes.push(change('TYPE_EXTENDED', at, true, `"type" removed: values of other types are accepted now: ${KEEPS}`));
    }
    const before = earlier.node.schema as JsonSchemaObject;
    const now = later.node.schema as JsonSchemaObject;
    switch (earlier.type) {
      case 'string':
        changes.push(...diffString(before, now, earlier.pointer));
        break;
      case 'number':
      case 'integer':
        changes.push(...diffNumber(before, now, earlier.type === 'integer', earlier.pointer));
        break;
      case 'object':
        changes.push(...diffObject(this, earlier.node, later.node, earlier.pointer));
        break;
      case 'array':
        changes.push(...diffArray(this, earlier.node, later.node, earlier.pointer));
        break;
      default:
        break;
    }
    return changes;
  }
}
