package fwi.edge.ota;

import fwi.proto.v1.OtaState;
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
   * Fault injection for crash tests, {@code NONE} (off) by default: {@code VERIFYING} or
   * {@code INSTALLING} makes every update pause in that state for
   * {@code fault-injection.hold-ms} and log "OTA fault injection: holding ..." when the pause
   * starts, so a test can kill the agent exactly there (see {@link OtaSettings#faultHoldIn()}).
   * Never set it on a device in the field: each pause delays every update.
   */
  @WithName("fault-injection.hold-in")
  @WithDefault("NONE")
  String faultHoldIn();

  /** How long a fault-injection pause lasts, ms, in [1, 3600000]; the update then carries on. */
  @WithName("fault-injection.hold-ms")
  @WithDefault("60000")
  long faultHoldMs();

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
          .faultHold(holdState(faultHoldIn()), faultHoldMs())
          .build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("fwi.ota." + e.getMessage(), e);
    }
  }

  private static Optional<OtaState> holdState(String name) {
    String n = name.trim().toUpperCase(java.util.Locale.ROOT);
    if (n.equals("NONE")) {
      return Optional.empty();
    }
    for (OtaState s : OtaSettings.HOLD_STATES) {
      if (s.name().equals("OTA_STATE_" + n)) {
        return Optional.of(s);
      }
    }
    throw new IllegalArgumentException("fault-injection.hold-in must be NONE, VERIFYING or INSTALLING, but was '"
        + name + "'");
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
