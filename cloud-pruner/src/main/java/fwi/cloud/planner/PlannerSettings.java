package fwi.cloud.planner;

/**
 * When the planner starts compression jobs.
 *
 * @param breachForMs the profile's p95 must stay above its SLO this long before a job starts, ms (at least 0)
 * @param clearBelowRatio a breach ends only when p95 falls below {@code SLO * clearBelowRatio}, in (0, 1]:
 *     hysteresis, so a p95 hovering at the SLO does not start and stop breaches
 * @param cooldownMs after a job for a profile ends, no SLO-triggered job starts for it for this long, ms
 * @param targetMargin the plan aims at {@code SLO * targetMargin}, in (0, 1], so a fitted model's error
 *     does not land the new model just above the SLO
 * @param minTelemetryInferences a profile's statistics count only with at least this many inferences
 */
public record PlannerSettings(long breachForMs, double clearBelowRatio, long cooldownMs, double targetMargin,
    long minTelemetryInferences) {
  public PlannerSettings {
    if (breachForMs < 0) {
      throw new IllegalArgumentException("breach-for-ms must be at least 0, but was " + breachForMs);
    }
    if (!(clearBelowRatio > 0 && clearBelowRatio <= 1)) {
      throw new IllegalArgumentException("clear-below-ratio must be in (0, 1], but was " + clearBelowRatio);
    }
    if (cooldownMs < 0) {
      throw new IllegalArgumentException("cooldown-ms must be at least 0, but was " + cooldownMs);
    }
    if (!(targetMargin > 0 && targetMargin <= 1)) {
      throw new IllegalArgumentException("target-margin must be in (0, 1], but was " + targetMargin);
    }
    if (minTelemetryInferences < 1) {
      throw new IllegalArgumentException("min-telemetry-inferences must be at least 1, but was " + minTelemetryInferences);
    }
  }

  /** 2 minutes above the SLO, clear below 90 %, 15 minutes cool-down, aim at 85 % of the SLO, 20 inferences. */
  public static PlannerSettings defaults() {
    return new PlannerSettings(120_000, 0.9, 900_000, 0.85, 20);
  }
}
