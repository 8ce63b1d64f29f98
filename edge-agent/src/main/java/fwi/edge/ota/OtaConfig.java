package fwi.edge.ota;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Model store and over-the-air updates ({@code fwi.ota.*}); see {@link OtaSettings} for what each
 * tuning value means. {@link #settings()} checks everything at start-up and names the key and value
 * of a bad one.
 */
@ConfigMapping(prefix = "fwi.ota")
public interface OtaConfig {
  /** Directory of the model store: {@code store.json}, {@code models/}, {@code downloads/}. */
  @WithName("model-dir")
  Path modelDir();

  /** A model file installed as the first active model when the store has none (a freshly flashed device). */
  @WithName("bootstrap-file")
  Optional<Path> bootstrapFile();

  /** Registry id of the bootstrap model; default: the file name without {@code .onnx}. */
  @WithName("bootstrap-id")
  Optional<String> bootstrapId();

  /** Version of the bootstrap model in its profile's lineage. */
  @WithName("bootstrap-version")
  @WithDefault("1")
  long bootstrapVersion();

  /**
   * Trusted Ed25519 manifest-signing keys: {@code fwi.ota.trusted-keys.<keyId>=<base64 of the raw
   * 32-byte public key>}. None: every manifest is rejected with UNKNOWN_KEY_ID.
   */
  @WithName("trusted-keys")
  Map<String, String> trustedKeys();

  @WithName("keep-previous")
  @WithDefault("2")
  int keepPrevious();

  @WithName("max-block-size-bytes")
  @WithDefault("1048576")
  int maxBlockSizeBytes();

  @WithName("max-in-flight")
  @WithDefault("4")
  int maxInFlight();

  @WithName("block-timeout-ms")
  @WithDefault("10000")
  long blockTimeoutMs();

  @WithName("max-retries")
  @WithDefault("5")
  int maxRetries();

  @WithName("smoke-latency-budget-ms")
  @WithDefault("5000")
  long smokeLatencyBudgetMs();

  @WithName("min-velocity-m-per-s")
  @WithDefault("100")
  double minVelocityMPerS();

  @WithName("max-velocity-m-per-s")
  @WithDefault("10000")
  double maxVelocityMPerS();

  @WithName("health-window-ms")
  @WithDefault("60000")
  long healthWindowMs();

  @WithName("health-window-inferences")
  @WithDefault("50")
  int healthWindowInferences();

  @WithName("health-max-error-ratio")
  @WithDefault("0.1")
  double healthMaxErrorRatio();

  @WithName("health-latency-factor")
  @WithDefault("2.0")
  double healthLatencyFactor();

  /**
   * The checked settings.
   *
   * @throws IllegalArgumentException naming the {@code fwi.ota.*} key and its value
   */
  default OtaSettings settings() {
    try {
      return OtaSettings.builder()
          .keepPrevious(keepPrevious())
          .maxBlockSizeBytes(maxBlockSizeBytes())
          .maxInFlight(maxInFlight())
          .blockTimeoutMs(blockTimeoutMs())
          .maxRetries(maxRetries())
          .smokeLatencyBudgetMs(smokeLatencyBudgetMs())
          .velocityRangeMPerS(minVelocityMPerS(), maxVelocityMPerS())
          .healthWindowMs(healthWindowMs())
          .healthWindowInferences(healthWindowInferences())
          .healthMaxErrorRatio(healthMaxErrorRatio())
          .healthLatencyFactor(healthLatencyFactor())
          .build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("fwi.ota." + e.getMessage(), e);
    }
  }

  /**
   * The trusted keys.
   *
   * @throws IllegalArgumentException naming the key id whose value is not a valid key
   */
  default TrustedKeys keys() {
    return TrustedKeys.fromBase64(trustedKeys());
  }
}
