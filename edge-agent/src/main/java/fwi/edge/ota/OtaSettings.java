package fwi.edge.ota;

import fwi.proto.v1.OtaState;
import java.util.Optional;
import java.util.Set;

/**
 * Tuning of the over-the-air update client; every value is checked here and a bad one fails
 * naming the field and the value. Start from {@link #builder()}, whose defaults suit a Pi 4 on a
 * slow link; the wiring maps {@code fwi.ota.*} configuration onto it.
 *
 * @param keepPrevious previously active model files kept for rollback, in [0, 100] (default 2)
 * @param maxBlockSizeBytes largest OTA block the device accepts, in [1, 64 MiB] (default 1 MiB)
 * @param maxInFlight block requests outstanding at once, in [1, 256] (default 4)
 * @param blockTimeoutMs a requested block not answered within this is requested again, at least 1 (default 10 s)
 * @param maxRetries timeouts or retriable server errors tolerated per block before the download
 *     fails (DOWNLOAD_TIMEOUT / BLOCK_UNAVAILABLE), in [0, 1000] (default 5)
 * @param maxBadBlockCopies corrupt copies of one block tolerated before the download fails
 *     (BLOCK_SHA256_MISMATCH), in [1, 100] (default 3)
 * @param tickIntervalMs how often timeouts, retries and the health window are checked, in [1, 60000] (default 500)
 * @param progressIntervalMs DOWNLOADING status is repeated at least this often, at least 1 (default 5 s)
 * @param maxOpset highest ONNX default-domain opset the runtime accepts, at least 1 (default 17)
 * @param maxIrVersion highest ONNX IR version the runtime accepts, at least 1 (default 8)
 * @param smokeRuns timed smoke-test inferences after one warm-up, in [1, 100] (default 3)
 * @param smokeLatencyBudgetMs median smoke-test latency allowed, and the floor of the health
 *     check's p95 limit, at least 1 (default 5000)
 * @param minVelocityMPerS lowest plausible output velocity, m/s, finite (default 100)
 * @param maxVelocityMPerS highest plausible output velocity, m/s, finite and above the minimum (default 10000)
 * @param healthWindowMs how long after a swap the new model is watched, at least 1 (default 60 s)
 * @param healthWindowInferences the watch also ends after this many inferences, at least 1 (default 50)
 * @param healthMaxErrorRatio failed inferences allowed in the window, in [0, 1) (default 0.1)
 * @param healthLatencyFactor the new model's p95 may exceed the budget only up to this multiple of
 *     the previous model's p95, at least 1 (default 2)
 * @param faultHoldIn fault injection for crash tests, off (empty) by default: every update pauses
 *     in this state, {@code OTA_STATE_VERIFYING} (after the file passed its SHA-256 check, before it
 *     is moved into the store) or {@code OTA_STATE_INSTALLING} (after the file was moved into the
 *     store, before it is loaded, smoke-tested and made active; the old model serves meanwhile), and
 *     logs that it does, so a test can kill the agent at exactly that point
 * @param faultHoldMs how long such a pause lasts, in [1, 3600000] (default 60 s); the update then
 *     carries on normally
 */
public record OtaSettings(
    int keepPrevious,
    int maxBlockSizeBytes,
    int maxInFlight,
    long blockTimeoutMs,
    int maxRetries,
    int maxBadBlockCopies,
    long tickIntervalMs,
    long progressIntervalMs,
    int maxOpset,
    int maxIrVersion,
    int smokeRuns,
    long smokeLatencyBudgetMs,
    double minVelocityMPerS,
    double maxVelocityMPerS,
    long healthWindowMs,
    int healthWindowInferences,
    double healthMaxErrorRatio,
    double healthLatencyFactor,
    Optional<OtaState> faultHoldIn,
    long faultHoldMs) {

  /** Largest block size a device may be configured for: 64 MiB. */
  public static final int MAX_BLOCK_SIZE_LIMIT_BYTES = 64 << 20;

  public OtaSettings {
    range("keep-previous", keepPrevious, 0, 100);
    range("max-block-size-bytes", maxBlockSizeBytes, 1, MAX_BLOCK_SIZE_LIMIT_BYTES);
    range("max-in-flight", maxInFlight, 1, 256);
    range("block-timeout-ms", blockTimeoutMs, 1, Long.MAX_VALUE);
    range("max-retries", maxRetries, 0, 1000);
    range("max-bad-block-copies", maxBadBlockCopies, 1, 100);
    range("tick-interval-ms", tickIntervalMs, 1, 60_000);
    range("progress-interval-ms", progressIntervalMs, 1, Long.MAX_VALUE);
    range("max-opset", maxOpset, 1, Integer.MAX_VALUE);
    range("max-ir-version", maxIrVersion, 1, Integer.MAX_VALUE);
    range("smoke-runs", smokeRuns, 1, 100);
    range("smoke-latency-budget-ms", smokeLatencyBudgetMs, 1, Long.MAX_VALUE);
    finite("min-velocity-m-per-s", minVelocityMPerS);
    finite("max-velocity-m-per-s", maxVelocityMPerS);
    if (!(maxVelocityMPerS > minVelocityMPerS)) {
      throw new IllegalArgumentException("max-velocity-m-per-s must be above min-velocity-m-per-s ("
          + minVelocityMPerS + "), but was " + maxVelocityMPerS);
    }
    range("health-window-ms", healthWindowMs, 1, Long.MAX_VALUE);
    range("health-window-inferences", healthWindowInferences, 1, 1_000_000);
    if (!(healthMaxErrorRatio >= 0 && healthMaxErrorRatio < 1)) {
      throw new IllegalArgumentException("health-max-error-ratio must be in [0, 1), but was " + healthMaxErrorRatio);
    }
    if (!(healthLatencyFactor >= 1) || Double.isInfinite(healthLatencyFactor)) {
      throw new IllegalArgumentException("health-latency-factor must be finite and at least 1, but was "
          + healthLatencyFactor);
    }
    if (faultHoldIn == null || faultHoldIn.isPresent() && !HOLD_STATES.contains(faultHoldIn.get())) {
      throw new IllegalArgumentException("fault-injection.hold-in must be NONE, VERIFYING or INSTALLING, but was "
          + (faultHoldIn == null ? "null" : faultHoldIn.get().name().replace("OTA_STATE_", "")));
    }
    range("fault-injection.hold-ms", faultHoldMs, 1, 3_600_000);
  }

  /** The states an update can be held in by fault injection. */
  public static final Set<OtaState> HOLD_STATES = Set.of(OtaState.OTA_STATE_VERIFYING, OtaState.OTA_STATE_INSTALLING);

  private static void range(String field, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(field + " must be in [" + min + ", " + max + "], but was " + value);
    }
  }

  private static void finite(String field, double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException(field + " must be finite, but was " + value);
    }
  }

  /** Settings with every default; change some with {@code with...} and {@link Builder#build()}. */
  public static Builder builder() {
    return new Builder();
  }

  /** Every default. */
  public static OtaSettings defaults() {
    return builder().build();
  }

  /** Builder of {@link OtaSettings}; starts at the defaults, checks on {@link #build()}. Not thread-safe. */
  public static final class Builder {
    private int keepPrevious = 2;
    private int maxBlockSizeBytes = 1 << 20;
    private int maxInFlight = 4;
    private long blockTimeoutMs = 10_000;
    private int maxRetries = 5;
    private int maxBadBlockCopies = 3;
    private long tickIntervalMs = 500;
    private long progressIntervalMs = 5_000;
    private int maxOpset = 17;
    private int maxIrVersion = 8;
    private int smokeRuns = 3;
    private long smokeLatencyBudgetMs = 5_000;
    private double minVelocityMPerS = 100;
    private double maxVelocityMPerS = 10_000;
    private long healthWindowMs = 60_000;
    private int healthWindowInferences = 50;
    private double healthMaxErrorRatio = 0.1;
    private double healthLatencyFactor = 2.0;
    private Optional<OtaState> faultHoldIn = Optional.empty();
    private long faultHoldMs = 60_000;

    private Builder() {}

    /**
     * Fault injection: pause every update for {@code holdMs} in {@code state} (VERIFYING or
     * INSTALLING); empty turns it off (the default).
     */
    public Builder faultHold(Optional<OtaState> state, long holdMs) {
      faultHoldIn = state;
      faultHoldMs = holdMs;
      return this;
    }

    public Builder keepPrevious(int v) {
      keepPrevious = v;
      return this;
    }

    public Builder maxBlockSizeBytes(int v) {
      maxBlockSizeBytes = v;
      return this;
    }

    public Builder maxInFlight(int v) {
      maxInFlight = v;
      return this;
    }

    public Builder blockTimeoutMs(long v) {
      blockTimeoutMs = v;
      return this;
    }

    public Builder maxRetries(int v) {
      maxRetries = v;
      return this;
    }

    public Builder maxBadBlockCopies(int v) {
      maxBadBlockCopies = v;
      return this;
    }

    public Builder tickIntervalMs(long v) {
      tickIntervalMs = v;
      return this;
    }

    public Builder progressIntervalMs(long v) {
      progressIntervalMs = v;
      return this;
    }

    public Builder maxOpset(int v) {
      maxOpset = v;
      return this;
    }

    public Builder maxIrVersion(int v) {
      maxIrVersion = v;
      return this;
    }

    public Builder smokeRuns(int v) {
      smokeRuns = v;
      return this;
    }

    public Builder smokeLatencyBudgetMs(long v) {
      smokeLatencyBudgetMs = v;
      return this;
    }

    public Builder velocityRangeMPerS(double min, double max) {
      minVelocityMPerS = min;
      maxVelocityMPerS = max;
      return this;
    }

    public Builder healthWindowMs(long v) {
      healthWindowMs = v;
      return this;
    }

    public Builder healthWindowInferences(int v) {
      healthWindowInferences = v;
      return this;
    }

    public Builder healthMaxErrorRatio(double v) {
      healthMaxErrorRatio = v;
      return this;
    }

    public Builder healthLatencyFactor(double v) {
      healthLatencyFactor = v;
      return this;
    }

    /** @throws IllegalArgumentException naming the field and value that is out of range */
    public OtaSettings build() {
      return new OtaSettings(keepPrevious, maxBlockSizeBytes, maxInFlight, blockTimeoutMs, maxRetries,
          maxBadBlockCopies, tickIntervalMs, progressIntervalMs, maxOpset, maxIrVersion, smokeRuns,
          smokeLatencyBudgetMs, minVelocityMPerS, maxVelocityMPerS, healthWindowMs, healthWindowInferences,
          healthMaxErrorRatio, healthLatencyFactor, faultHoldIn, faultHoldMs);
    }
  }
}
