package fwi.cloud.registry;

import com.google.protobuf.ByteString;
import fwi.proto.v1.ModelRef;
import fwi.proto.v1.PrunePlanSummary;
import fwi.proto.v1.QualityMetrics;
import java.util.Optional;

/**
 * One model in a profile's lineage.
 *
 * @param profile hardware profile name
 * @param version version in the profile's lineage, at least 1
 * @param modelId registry id, e.g. {@code inversionnet-pi-4b-v7}
 * @param blockSizeBytes OTA block size of the file
 * @param createdUnixMs registration time, milliseconds since the Unix epoch (UTC); signed into every
 *     manifest of the model, so re-signing gives the same body
 * @param description what the file is (its SHA-256 and size among it)
 * @param quality accuracy on the evaluation set, if given
 * @param plan pruning summary, if the model was pruned or one was given
 * @param baseModel the model the pruning started from, if known
 */
public record RegisteredModel(String profile, long version, String modelId, int blockSizeBytes, long createdUnixMs,
    ModelDescription description, Optional<QualityMetrics> quality, Optional<PrunePlanSummary> plan,
    Optional<ModelRef> baseModel) {
  public RegisteredModel {
    ModelRegistry.checkProfile(profile);
    if (version < 1) {
      throw new IllegalArgumentException("version of a model of profile '" + profile + "' must be at least 1, but was "
          + version);
    }
    if (modelId == null || !ModelRegistry.MODEL_ID.matcher(modelId).matches()) {
      throw new IllegalArgumentException("model id must match " + ModelRegistry.MODEL_ID.pattern() + ", but was '"
          + modelId + "'");
    }
    if (description == null) {
      throw new IllegalArgumentException("description of model '" + modelId + "' must be given, but was null");
    }
    new BlockLayout(description.sha256Hex(), description.sizeBytes(), blockSizeBytes);
    if (quality == null || plan == null || baseModel == null) {
      throw new IllegalArgumentException("quality, plan and base model of '" + modelId
          + "' must be Optionals, but one was null");
    }
  }

  /** SHA-256 of the file, 64 lower-case hex digits. */
  public String sha256Hex() {
    return description.sha256Hex();
  }

  /** Size of the file, bytes. */
  public long sizeBytes() {
    return description.sizeBytes();
  }

  /** How the file is cut into blocks. */
  public BlockLayout layout() {
    return new BlockLayout(sha256Hex(), sizeBytes(), blockSizeBytes);
  }

  /** The wire reference: id, version, raw SHA-256. */
  public ModelRef ref() {
    return ModelRef.newBuilder().setModelId(modelId).setVersion(version)
        .setSha256(ByteString.copyFrom(Sha256.unhex(sha256Hex()))).build();
  }
}
