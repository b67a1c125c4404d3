/**
 * What consumer bundles get for `semver` (the bundling aliases the package to this
 * module; see CONSUMER_BUNDLE_ALIASES in lib/consumer-bundling.ts).
 *
 * Why that is safe: the one importer of `semver` in a consumer bundle is the X-Ray SDK's
 * AWS SDK v2 patcher (aws-xray-sdk-core/dist/lib/patchers/aws_p.js, loaded with the rest
 * of the X-Ray SDK under Powertools Tracer), and it calls `semver.gte` alone, only when
 * an SDK v2 client is captured, which the kit never does (its clients are SDK v3). Yet
 * `require('semver')` loads the whole package at import time (~28 KB, and its regexes
 * compiled during the cold start). This is `gte` with semver's own rules (strict parsing,
 * SemVer 2.0 precedence, build metadata ignored, TypeError on an invalid version);
 * test/unit/kit-bundle-shims.test.ts checks it against the real semver, and
 * test/infra/consumer-bundling.test.ts that aws_p.js is still its only importer and
 * calls nothing else.
 */

// semver's FULL pattern (non-loose): optional `v`, MAJOR.MINOR.PATCH without leading zeros,
// optional pre-release and build identifiers.
const NUMERIC = '0|[1-9]\\d*';
const PRERELEASE_ID = `(?:\\d*[a-zA-Z-][a-zA-Z0-9-]*|${NUMERIC})`;
const FULL = new RegExp(`^v?(${NUMERIC})\\.(${NUMERIC})\\.(${NUMERIC})(?:-(${PRERELEASE_ID}(?:\\.${PRERELEASE_ID})*))?(?:\\+[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*)?$`);
const MAX_LENGTH = 256;

interface Version {
  readonly main: readonly [number, number, number];
  readonly prerelease: readonly (number | string)[];
}

function parse(version: unknown): Version {
  if (typeof version !== 'string') throw new TypeError(`Invalid version. Must be a string. Got type "${typeof version}".`);
  if (version.length > MAX_LENGTH) throw new TypeError(`version is longer than ${MAX_LENGTH} characters`);
  const match = FULL.exec(version.trim());
  if (!match) throw new TypeError(`Invalid Version: ${version}`);
  const main = [Number(match[1]), Number(match[2]), Number(match[3])] as const;
  if (main.some((part) => part > Number.MAX_SAFE_INTEGER)) throw new TypeError('Invalid version: a part is above Number.MAX_SAFE_INTEGER');
  const prerelease = match[4] === undefined ? [] : match[4].split('.').map((id) => (/^\d+$/.test(id) && Number(id) < Number.MAX_SAFE_INTEGER ? Number(id) : id));
  return { main, prerelease };
}

// Numeric identifiers sort before alphanumeric ones, numerically among themselves.
function compareIdentifiers(a: number | string, b: number | string): number {
  const aNumeric = typeof a === 'number';
  const bNumeric = typeof b === 'number';
  if (aNumeric && !bNumeric) return -1;
  if (bNumeric && !aNumeric) return 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i += 1) {
    if (a.main[i] !== b.main[i]) return a.main[i]! < b.main[i]! ? -1 : 1;
  }
  // A release is above its pre-releases.
  if (a.prerelease.length === 0 && b.prerelease.length === 0) return 0;
  if (a.prerelease.length === 0) return 1;
  if (b.prerelease.length === 0) return -1;
  for (let i = 0; ; i += 1) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined && y === undefined) return 0;
    if (y === undefined) return 1;
    if (x === undefined) return -1;
    const order = compareIdentifiers(x, y);
    if (order !== 0) return order;
  }
}

/**
 * semver's `gte(a, b)`: true when version `a` is the same as or above `b`.
 * @throws TypeError when either is not a valid semantic version
 */
export function gte(a: string, b: string): boolean {
  return compare(parse(a), parse(b)) >= 0;
}
