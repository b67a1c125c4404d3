/**
 * The credential provider consumer bundles use in place of the SDK's Node.js default
 * chain (`@aws-sdk/credential-provider-node`): the bundling aliases that package to this
 * module (see CONSUMER_BUNDLE_ALIASES in lib/consumer-bundling.ts).
 *
 * Why that is safe: every client's default runtime config imports the whole chain (env,
 * SSO, ini files, credential_process, web identity, ECS/IMDS, and the nested STS, SSO and
 * sign-in clients they call, with the query/XML protocols only those use: ~139 KB of a
 * consumer bundle), but the chain's first link, the environment, is the one that answers
 * in Lambda, where the runtime always sets
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the execution role
 * and never sets AWS_PROFILE. The local runner sets the same variables for the emulator.
 * This module is that first link, the SDK's own `fromEnv` (so expiration, credential
 * scope, account id and the user-agent attribution are read exactly as the chain reads
 * them), memoized as the chain memoizes it. Without those variables it fails with the
 * SDK's CredentialsProviderError, which the kit treats as transient like any unknown error;
 * a profile or a credentials file is not read (test/integration/consumer-bundle.test.ts).
 *
 * Only bundles use it: tests and tools that import the kit directly keep the full chain.
 */
import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';

/** A provider of AWS credentials, as the SDK's clients call it. */
export type CredentialProvider = ReturnType<typeof fromEnv>;

type Credentials = Awaited<ReturnType<CredentialProvider>>;

/** The chain treats credentials as expired this long before their expiration (as the SDK does). */
export const REFRESH_BEFORE_EXPIRY_MS = 300_000;

/**
 * The SDK's `defaultProvider` signature, answering from the environment alone: read once,
 * then reused until five minutes before an expiration (when AWS_CREDENTIAL_EXPIRATION is
 * set) or until the SDK asks for a forced refresh.
 */
export function defaultProvider(init: FromEnvInit = {}): CredentialProvider {
  const read = fromEnv(init);
  let credentials: Credentials | undefined;
  return async (properties) => {
    if (credentials === undefined || properties?.forceRefresh === true || expiresSoon(credentials)) {
      credentials = await read(properties);
    }
    return credentials;
  };
}

function expiresSoon(credentials: Credentials): boolean {
  return credentials.expiration !== undefined && credentials.expiration.getTime() - Date.now() < REFRESH_BEFORE_EXPIRY_MS;
}
