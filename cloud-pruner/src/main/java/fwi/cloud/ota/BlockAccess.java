package fwi.cloud.ota;

/**
 * Decides whether a device may download a model's blocks; the rollout answers (not targeted yet,
 * model withdrawn). Called on the block publisher's worker threads for every request: keep it
 * fast and thread-safe.
 */
@FunctionalInterface
public interface BlockAccess {
  /** Every device may download every registered model. */
  BlockAccess ALLOW_ALL = (deviceId, modelSha256Hex) -> true;

  /**
   * @param deviceId the requesting device, from the request topic (the broker's ACL guarantees it)
   * @param modelSha256Hex the model file, 64 lower-case hex digits
   * @return false to answer {@code BLOCK_ERROR_CODE_NOT_ALLOWED}
   */
  boolean mayDownload(String deviceId, String modelSha256Hex);
}
