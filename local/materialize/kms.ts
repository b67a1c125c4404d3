/** KMS keys: given a stable local id, not created. */
import { stableUuid, type Materialized, type ResourceContext } from './handler';

/**
 * KMS keys are not created: the emulator stores a topic's or queue's KmsMasterKeyId
 * without checking or using it (nothing is encrypted locally), so a key only needs a
 * stable id and ARN for what refers to it.
 */
export function localKey({ logicalId, stackName, region, accountId, partition }: ResourceContext): Materialized {
  const keyId = stableUuid(`${stackName}/${logicalId}`);
  return {
    resource: { logicalId, type: 'AWS::KMS::Key', ref: keyId, attributes: { Arn: `arn:${partition}:kms:${region}:${accountId}:key/${keyId}`, KeyId: keyId }, status: 'local' },
  };
}
