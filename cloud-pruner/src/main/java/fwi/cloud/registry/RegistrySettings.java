package fwi.cloud.registry;

import java.util.regex.Pattern;

/**
 * Settings of a {@link ModelRegistry}.
 *
 * @param blockSizeBytes OTA block size of newly registered files
 *     ({@code fwi.registry.block-size-bytes}, default 65536); in [{@value #MIN_BLOCK_SIZE_BYTES},
 *     {@value #MAX_BLOCK_SIZE_BYTES}] (devices accept up to 1 MiB by default, and every block
 *     travels as one MQTT message). A file keeps the block size of its first registration.
 * @param modelIdPrefix start of model ids, {@code <prefix>-<profile>-v<version>}
 *     ({@code fwi.registry.model-id-prefix}, default {@code inversionnet}); lower-case letters,
 *     digits and '-', 1 to 48 characters
 */
public record RegistrySettings(int blockSizeBytes, String modelIdPrefix) {
  public static final int DEFAULT_BLOCK_SIZE_BYTES = 64 * 1024;
  public static final int MIN_BLOCK_SIZE_BYTES = 1024;
  public static final int MAX_BLOCK_SIZE_BYTES = 1024 * 1024;
  public static final String DEFAULT_MODEL_ID_PREFIX = "inversionnet";
  private static final Pattern PREFIX = Pattern.compile("[a-z0-9][a-z0-9-]{0,47}");

  public RegistrySettings {
    if (blockSizeBytes < MIN_BLOCK_SIZE_BYTES || blockSizeBytes > MAX_BLOCK_SIZE_BYTES) {
      throw new IllegalArgumentException("fwi.registry.block-size-bytes must be in [" + MIN_BLOCK_SIZE_BYTES + ", "
          + MAX_BLOCK_SIZE_BYTES + "], but was " + blockSizeBytes);
    }
    if (modelIdPrefix == null || !PREFIX.matcher(modelIdPrefix).matches()) {
      throw new IllegalArgumentException("fwi.registry.model-id-prefix must match " + PREFIX.pattern() + ", but was '"
          + modelIdPrefix + "'");
    }
  }

  /** 64 KiB blocks, ids {@code inversionnet-<profile>-v<version>}. */
  public static RegistrySettings defaults() {
    return new RegistrySettings(DEFAULT_BLOCK_SIZE_BYTES, DEFAULT_MODEL_ID_PREFIX);
  }

  public RegistrySettings withBlockSizeBytes(int bytes) {
    return new RegistrySettings(bytes, modelIdPrefix);
  }
}
