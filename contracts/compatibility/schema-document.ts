/**
 * One JSON Schema document as the compatibility checker walks it: subschemas are
 * addressed by JSON pointer, local `$ref`s are followed (with cycle protection), and a
 * subschema can be asked whether it accepts a given value (ajv, for the few places
 * where the checker decides by trying values rather than by comparing keywords).
 *
 * Every document knows its draft (its root `$schema`: draft-07 or 2020-12), because the
 * two read some keywords differently: in 2020-12 the keywords beside a `$ref` apply too
 * (draft-07 says to ignore them), `$dynamicRef` exists, and validators run under that draft.
 */
import { FanoutError } from '../errors';
import { SCHEMA_DRAFT_URIS, SchemaDraft, compileValidator, schemaDraftOf } from '../validation';

/** A JSON Schema: an object, or `true` / `false`. */
export type JsonSchema = boolean | JsonSchemaObject;

/** A JSON Schema object (draft-07 keywords, read loosely). */
export type JsonSchemaObject = { readonly [keyword: string]: unknown };

/** The input is not a JSON Schema at all (not an object or a boolean). */
export class InvalidSchemaError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidSchemaError';
  }
}

/** True for a plain JSON object. */
export function isObject(value: unknown): value is JsonSchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for something usable as a subschema. */
export function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'boolean' || isObject(value);
}

/** Escapes one reference token (RFC 6901). */
export function escapeToken(token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}

/** `base/token1/token2`, each token escaped. */
export function childPointer(base: string, ...tokens: (string | number)[]): string {
  return tokens.reduce<string>((pointer, token) => `${pointer}/${escapeToken(token)}`, base);
}

/** A subschema, where it sits in its document. */
export interface Located {
  readonly document: SchemaDocument;
  /** JSON pointer from the document's root (`''` is the root). */
  readonly location: string;
  readonly schema: JsonSchema;
}

/** A `$ref` the checker cannot follow (another document, or a name not found). */
export interface UnresolvedReference {
  readonly unresolved: string;
  /**
   * True for a 2020-12 `$dynamicRef` whose target depends on the dynamic scope: the same
   * text in two versions may point at different schemas, so it is never taken as unchanged.
   */
  readonly dynamic: boolean;
  readonly at: Located;
}

/** A reference keyword of a subschema: `$ref`, or (2020-12) `$dynamicRef`. */
interface Reference {
  readonly keyword: '$ref' | '$dynamicRef';
  readonly value: string;
}

/**
 * Keywords that never constrain a value: beside a 2020-12 `$ref` they add nothing, so
 * the `$ref` alone says what the subschema accepts.
 */
export const NON_CONSTRAINING = new Set([
  '$id',
  '$schema',
  '$anchor',
  '$dynamicAnchor',
  '$vocabulary',
  '$comment',
  '$defs',
  'definitions',
  'title',
  'description',
  'default',
  'examples',
  'readOnly',
  'writeOnly',
  'deprecated',
]);

let documentCounter = 0;

// Compiling a validator costs 10-20 ms (a fresh ajv with its formats), and the same
// schemas come back again and again: FULL checks both directions, *_ALL and chains
// compare a version with several others. Keep the most recent ones, by content.
const VALIDATOR_CACHE_LIMIT = 256;
const validatorCache = new Map<string, ((value: unknown) => boolean) | null>();

function cachedValidator(key: string, compile: () => ((value: unknown) => boolean) | null): ((value: unknown) => boolean) | null {
  if (validatorCache.has(key)) {
    const hit = validatorCache.get(key)!;
    validatorCache.delete(key);
    validatorCache.set(key, hit);
    return hit;
  }
  const compiled = compile();
  validatorCache.set(key, compiled);
  if (validatorCache.size > VALIDATOR_CACHE_LIMIT) validatorCache.delete(validatorCache.keys().next().value!);
  return compiled;
}

const SYNTHETIC_BASE = 'urn:fanout:compatibility:document';

/** One schema document: its root, an index of its `$id`s and anchors, and lazily compiled validators. */
export class SchemaDocument {
  /** Distinguishes documents in cycle-detection keys. */
  readonly key: string;
  readonly root: JsonSchema;
  /** The draft its root `$schema` declares (draft-07 when it declares none). */
  readonly draft: SchemaDraft;
  private readonly ids = new Map<string, string>();
  /** `$dynamicAnchor` name to every location that declares it. */
  private readonly dynamicAnchors = new Map<string, string[]>();
  /** True when a subschema below the root declares its own base URI (`$id`): a second resource. */
  private embeddedResources = false;
  private fingerprint: string | undefined;

  /**
   * @throws InvalidSchemaError when `root` is not an object or a boolean
   * @throws UnsupportedSchemaDraftError when its `$schema` names a draft other than draft-07 or 2020-12
   */
  constructor(root: unknown, label = 'schema') {
    if (!isSchema(root)) {
      throw new InvalidSchemaError(`${label} is not a JSON Schema (expected an object or a boolean, got ${Array.isArray(root) ? 'an array' : typeof root})`);
    }
    this.root = root;
    this.draft = schemaDraftOf(root);
    this.key = `d${documentCounter++}`;
    this.indexIds(root, '');
  }

  /** The root, located. */
  get top(): Located {
    return { document: this, location: '', schema: this.root };
  }

  /** The subschema at `location/tokens`, or undefined when absent or not a schema. */
  child(parent: Located, ...tokens: (string | number)[]): Located | undefined {
    let value: unknown = parent.schema;
    for (const token of tokens) {
      if (Array.isArray(value) && typeof token === 'number') value = value[token];
      else if (isObject(value)) value = Object.hasOwn(value, String(token)) ? value[String(token)] : undefined;
      else return undefined;
    }
    if (!isSchema(value)) return undefined;
    return { document: this, location: childPointer(parent.location, ...tokens), schema: value };
  }

  /**
   * Follows `$ref`s until a schema without one. A chain of refs that loops back on itself
   * constrains nothing.
   *
   * The keywords beside a `$ref` apply in 2020-12. Draft-07 says to ignore them, but ajv
   * (which validates our contracts) applies them in draft-07 too. So by default the walk
   * stops at a reference with constraining siblings and returns it, for the caller to
   * read as both its target and its siblings ({@link hasConstrainingSiblings},
   * {@link referenceOnly}). With `applySiblings` false (only ever for a draft-07 schema
   * read as accepting at least what it accepts) the siblings are skipped.
   */
  resolve(located: Located, applySiblings = true): Located | UnresolvedReference {
    let current = located;
    const seen = new Set<string>();
    for (;;) {
      if (!isObject(current.schema)) return current;
      if (Object.hasOwn(current.schema, '$ref') && this.draft === SchemaDraft.Draft2020_12 && Object.hasOwn(current.schema, '$dynamicRef')) {
        // Both kinds of reference at once: too rare to model, so never read as understood.
        return { unresolved: String(current.schema.$dynamicRef), dynamic: true, at: current };
      }
      const reference = this.referenceOf(current.schema);
      if (!reference) return current;
      if ((applySiblings || this.draft === SchemaDraft.Draft2020_12) && this.hasConstrainingSiblings(current)) return current;
      if (seen.has(current.location)) return { document: this, location: current.location, schema: true };
      seen.add(current.location);
      const target = reference.keyword === '$ref' ? this.lookup(reference.value) : this.lookupDynamic(reference.value);
      if (!target) return { unresolved: reference.value, dynamic: reference.keyword === '$dynamicRef', at: current };
      current = target;
    }
  }

  /** The reference a schema object makes, as its draft reads it. */
  private referenceOf(schema: JsonSchemaObject): Reference | undefined {
    if (typeof schema.$ref === 'string') return { keyword: '$ref', value: schema.$ref };
    if (this.draft === SchemaDraft.Draft2020_12 && typeof schema.$dynamicRef === 'string') return { keyword: '$dynamicRef', value: schema.$dynamicRef };
    return undefined;
  }

  /** True when `located` is a reference in a document whose draft reads it by reference (it has `$ref` or, in 2020-12, `$dynamicRef`). */
  hasReference(located: Located): boolean {
    return isObject(located.schema) && this.referenceOf(located.schema) !== undefined;
  }

  /**
   * True when `located` is a reference with keywords beside it that constrain values: it
   * then accepts what its target accepts AND what those keywords accept (see {@link resolve}).
   */
  hasConstrainingSiblings(located: Located): boolean {
    if (!isObject(located.schema)) return false;
    const reference = this.referenceOf(located.schema);
    return reference !== undefined && Object.keys(located.schema).some((key) => key !== reference.keyword && !NON_CONSTRAINING.has(key));
  }

  /** The reference of `located` alone, without its siblings, at the same location. */
  referenceOnly(located: Located): Located {
    const schema = located.schema as JsonSchemaObject;
    const reference = this.referenceOf(schema);
    return { document: this, location: located.location, schema: reference ? { [reference.keyword]: reference.value } : true };
  }

  /**
   * A `$dynamicRef` resolves through the dynamic scope, which within one document is
   * static when there is a single resource and a single `$dynamicAnchor` of that name:
   * then it is the same as a `$ref` to that anchor. Any other case is left unresolved.
   */
  private lookupDynamic(ref: string): Located | undefined {
    if (!ref.startsWith('#') || ref.startsWith('#/') || this.embeddedResources) return undefined;
    const declared = this.dynamicAnchors.get(ref.slice(1)) ?? [];
    return declared.length === 1 ? this.at(declared[0]!) : undefined;
  }

  /**
   * Whether the subschema at `location` accepts `value`; undefined when ajv cannot
   * compile it (the caller then falls back to comparing keywords).
   */
  accepts(location: string, value: unknown): boolean | undefined {
    const validate = this.validatorAt(location);
    return validate ? validate(value) : undefined;
  }

  private validatorAt(location: string): ((value: unknown) => boolean) | undefined {
    this.fingerprint ??= JSON.stringify(this.root);
    return cachedValidator(`${location}\u0000${this.fingerprint}`, () => this.compile(location)) ?? undefined;
  }

  private compile(location: string): ((value: unknown) => boolean) | null {
    if (typeof this.root === 'boolean') {
      const verdict = this.root;
      return () => verdict;
    }
    // Embed the whole document under a known base so that its own `#/...` refs resolve
    // inside it, then point at the subschema with a fragment. The wrapper declares the
    // document's own draft, so the subschema is validated as the document means it.
    const rootId = typeof this.root.$id === 'string' && /^[a-z][a-z0-9+.-]*:/i.test(this.root.$id) ? this.root.$id.split('#')[0]! : SYNTHETIC_BASE;
    const { $schema: _ignored, ...embedded } = structuredClone(this.root) as Record<string, unknown>;
    const fragment = location
      .split('/')
      .map((token) => encodeURIComponent(token))
      .join('/');
    const document = { ...embedded, $id: rootId };
    const wrapper =
      this.draft === SchemaDraft.Draft2020_12
        ? { $schema: SCHEMA_DRAFT_URIS['2020-12'], $defs: { fanoutDocument: document }, $ref: `${rootId}#${fragment}` }
        : { definitions: { fanoutDocument: document }, $ref: `${rootId}#${fragment}` };
    try {
      const validate = compileValidator(wrapper);
      return (value) => validate(value).length === 0;
    } catch {
      return null;
    }
  }

  private lookup(ref: string): Located | undefined {
    const hash = ref.indexOf('#');
    const base = hash < 0 ? ref : ref.slice(0, hash);
    const fragment = hash < 0 ? '' : ref.slice(hash + 1);
    let start: string;
    if (base === '') {
      start = '';
    } else {
      const found = this.ids.get(base);
      if (found === undefined) return undefined;
      start = found;
    }
    if (fragment === '' || fragment.startsWith('/')) {
      return this.at(start + decodeFragment(fragment));
    }
    const anchored = this.ids.get(`#${fragment}`);
    return anchored === undefined ? undefined : this.at(anchored);
  }

  private at(location: string): Located | undefined {
    const tokens = location === '' ? [] : location.slice(1).split('/').map(unescapeToken);
    let value: unknown = this.root;
    for (const token of tokens) {
      if (Array.isArray(value)) value = value[Number(token)];
      else if (isObject(value)) value = Object.hasOwn(value, token) ? value[token] : undefined;
      else return undefined;
    }
    return isSchema(value) ? { document: this, location, schema: value } : undefined;
  }

  private indexIds(value: unknown, location: string): void {
    if (Array.isArray(value)) {
      value.forEach((item, index) => this.indexIds(item, `${location}/${index}`));
      return;
    }
    if (!isObject(value)) return;
    if (typeof value.$id === 'string') {
      // draft-07 names plain-name anchors with `$id: "#name"`; other ids name a base URI.
      const id = value.$id.startsWith('#') ? value.$id : value.$id.split('#')[0]!;
      this.ids.set(id, location);
      if (location !== '' && !value.$id.startsWith('#')) this.embeddedResources = true;
    }
    if (typeof value.$anchor === 'string') this.ids.set(`#${value.$anchor}`, location);
    if (typeof value.$dynamicAnchor === 'string') {
      // A dynamic anchor is a plain-name anchor for `$ref` too.
      this.ids.set(`#${value.$dynamicAnchor}`, location);
      this.dynamicAnchors.set(value.$dynamicAnchor, [...(this.dynamicAnchors.get(value.$dynamicAnchor) ?? []), location]);
    }
    for (const [key, child] of Object.entries(value)) {
      // enum and const hold data, not schemas; an `$id` inside them is a value.
      if (key === 'enum' || key === 'const' || key === 'examples' || key === 'default') continue;
      this.indexIds(child, `${location}/${escapeToken(key)}`);
    }
  }
}

function unescapeToken(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}

function decodeFragment(fragment: string): string {
  try {
    return decodeURIComponent(fragment);
  } catch {
    return fragment;
  }
}

/** Structural equality of JSON values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]));
  }
  return false;
}

const refScan = new WeakMap<object, boolean>();

/** True when a value holds a `$ref` or `$dynamicRef` anywhere: its meaning then depends on what they point at. */
export function containsRef(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const known = refScan.get(value);
  if (known !== undefined) return known;
  const found = Array.isArray(value)
    ? value.some(containsRef)
    : Object.hasOwn(value, '$ref') || Object.hasOwn(value, '$dynamicRef') || Object.values(value).some(containsRef);
  refScan.set(value, found);
  return found;
}
