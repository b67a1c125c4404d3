/**
 * How every consumer Lambda is bundled, defined once. The stack gives
 * {@link CONSUMER_BUNDLING} to NodejsFunction (the local runner imports the resulting
 * cdk.out asset), and the cold-start bench and the bundling tests build with
 * {@link consumerEsbuildOptions}, a translation of the same object, so a change here
 * reaches all three.
 *
 * What goes in (see DESIGN.md: the code tested locally is the code that runs): ESM,
 * minified, targeting the Lambda runtime's Node.js, the AWS SDK bundled rather than taken from the runtime. What is kept
 * out, and why each is safe, is {@link CONSUMER_BUNDLE_ALIASES} and the legal-comments setting.
 */
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * Banner of every bundle: esbuild's ESM output has no `require`, which CommonJS
 * dependencies bundled into it still call, so one is made from `import.meta.url`.
 */
export const ESM_REQUIRE_SHIM = "import { createRequire as __fanoutCreateRequire } from 'node:module';const require = __fanoutCreateRequire(import.meta.url);";

/**
 * Packages replaced in consumer bundles by a small module of the kit (esbuild `alias`:
 * the import path and its subpaths are resolved to the module instead, paths relative to
 * the project root, where NodejsFunction runs esbuild). Each replaces code that a
 * consumer bundle would carry but never run in Lambda; the modules say why in full, and
 * test/infra/consumer-bundling.test.ts checks what each relies on.
 */
export const CONSUMER_BUNDLE_ALIASES = {
  /**
   * The SDK's Node.js credential chain (SSO, ini files, credential_process, web identity,
   * ECS/IMDS and the nested STS/SSO/sign-in clients: ~139 KB with the protocols only they
   * use), imported by every client's default config. In Lambda the chain's first link
   * answers: the runtime always sets the role's credentials in AWS_ACCESS_KEY_ID,
   * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (and never AWS_PROFILE), as the local
   * runner does for the emulator. The replacement is that link, the SDK's own `fromEnv`.
   */
  '@aws-sdk/credential-provider-node': './lambdas/kit/environment-credentials.ts',
  /**
   * AWS event-stream serde (~19 KB), reached through a dynamic import only by operations
   * with an event-stream member, of which SQS, DynamoDB and Glue have none.
   */
  '@smithy/core/event-streams': './lambdas/kit/event-streams-unsupported.ts',
  /**
   * semver (~28 KB, its regexes compiled at import), required only by the X-Ray SDK's SDK v2
   * patcher for one `gte` call the kit never triggers; replaced by that one function.
   */
  semver: './lambdas/kit/semver-gte.ts',
} as const;

/** The bundling every consumer gets. */
export const CONSUMER_BUNDLING: nodejs.BundlingOptions = {
  format: nodejs.OutputFormat.ESM,
  minify: true,
  // The Node.js of the functions' runtime (lib/constructs/consumer.ts), no older: the
  // local runner's Node 20 must still run the bundles, which the integration tests check.
  target: 'node24',
  // The AWS SDK is bundled rather than taken from the runtime: the versions the kit is
  // tested with locally are the ones that run in Lambda.
  externalModules: [],
  // Prefer the ESM build of dependencies that ship both, so tree-shaking works.
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_SHIM,
  // No source maps (the default, kept): a map of a minified bundle would double its size.
  esbuildArgs: {
    '--alias': Object.entries(CONSUMER_BUNDLE_ALIASES).map(([from, to]) => `${from}=${to}`),
    // The only "legal" comments the dependencies carry are coverage hints
    // (`v8 ignore ... @preserve`), no license text; the packages' licenses stay with them
    // in node_modules and the lock file, and the bundle is deployed, not distributed.
    '--legal-comments': 'none',
  },
};

// What consumerEsbuildOptions translates; anything else in CONSUMER_BUNDLING would be
// silently missing from the bench's bundles, so it is refused instead.
const TRANSLATED_OPTIONS = new Set(['format', 'minify', 'target', 'externalModules', 'mainFields', 'banner', 'esbuildArgs']);
const TRANSLATED_ESBUILD_ARGS = new Set(['--alias', '--legal-comments']);

/**
 * The esbuild build options NodejsFunction derives from `bundling` (it runs esbuild with
 * `--bundle --platform=node` in the project root), for tools that bundle a consumer the
 * way the stack does: the cold-start bench, the bundling tests.
 * @throws Error when `bundling` holds an option this translation does not know
 */
export function consumerEsbuildOptions(projectRoot: string, bundling: nodejs.BundlingOptions = CONSUMER_BUNDLING): BuildOptions {
  const unknown = Object.keys(bundling).filter((key) => !TRANSLATED_OPTIONS.has(key));
  const args = bundling.esbuildArgs ?? {};
  unknown.push(...Object.keys(args).filter((key) => !TRANSLATED_ESBUILD_ARGS.has(key)));
  if (unknown.length > 0) throw new Error(`consumerEsbuildOptions does not translate ${unknown.join(', ')}: add it there, or the bench and the stack bundle differently`);
  const aliases = args['--alias'] ?? [];
  const legalComments = args['--legal-comments'];
  return {
    absWorkingDir: projectRoot,
    bundle: true,
    platform: 'node',
    format: bundling.format === nodejs.OutputFormat.ESM ? 'esm' : 'cjs',
    ...(bundling.target !== undefined && { target: bundling.target }),
    minify: bundling.minify ?? false,
    external: [...(bundling.externalModules ?? [])],
    ...(bundling.mainFields !== undefined && { mainFields: [...bundling.mainFields] }),
    ...(bundling.banner !== undefined && { banner: { js: bundling.banner } }),
    alias: Object.fromEntries((Array.isArray(aliases) ? aliases : [String(aliases)]).map((entry) => entry.split('=', 2) as [string, string])),
    ...(typeof legalComments === 'string' && { legalComments: legalComments as BuildOptions['legalComments'] }),
  };
}
