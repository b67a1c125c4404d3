/**
 * One JSON Schema document as the compatibility checker walks it: subschemas are
 * addressed by JSON pointer, local `$ref`s are followed (with cycle protection), and a
 * subschema can be asked whether it accepts a given value (ajv, for the few places
 * where the checker decides by trying values rather than by comparing keywords).
 */
import { FanoutError } from '../errors';
import { compileValidator } from '../validation';

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
  readonly at: Located;
}

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
  private readonly ids = new Map<string, string>();
  private fingerprint: string | undefined;

  constructor(root: unknown, label = 'schema') {
    if (!isSchema(root)) {
      throw new InvalidSchemaError(`${label} is not a JSON Schema (expected an object or a boolean, got ${Array.isArray(root) ? 'an array' : typeof root})`);
    }
    this.root = root;
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
   * Follows `$ref`s until a schema without one. Draft-07 ignores the siblings of `$ref`,
   * and so does this. A chain of refs that loops back on itself constrains nothing.
   */
  resolve(located: Located): Located | UnresolvedReference {
    let current = located;
    const seen = new Set<string>();
    while (isObject(current.schema) && typeof current.schema.$ref === 'string') {
      if (seen.has(current.location)) return { document: this, location: current.location, schema: true };
      seen.add(current.location);
      const target = this.lookup(current.schema.$ref);
      if (!target) return { unresolved: current.schema.$ref, at: current };
      current = target;
    }
    return current;
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
    // inside it, then point at the subschema with a fragment.
    const rootId = typeof this.root.$id === 'string' && /^[a-z][a-z0-9+.-]*:/i.test(this.root.$id) ? this.root.$id.split('#')[0]! : SYNTHETIC_BASE;
    const { $schema: _ignored, ...embedded } = structuredClone(this.root) as Record<string, unknown>;
    const fragment = location
      .split('/')
      .map((token) => encodeURIComponent(token))
      .join('/');
    try {
      const validate = compileValidator({ definitions: { fanoutDocument: { ...embedded, $id: rootId } }, $ref: `${rootId}#${fragment}` });
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
    }
    if (typeof value.$anchor === 'string') this.ids.set(`#${value.$anchor}`, location);
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
