package fwi.cloud.rollout;

import java.util.List;

/**
 * How a rollout proceeds.
 *
 * @param stages cumulative fractions of the profile's devices per stage, increasing, each in (0, 1], the last 1.0
 *     (e.g. 0.1, 0.5, 1.0); a stage has at least one device
 * @param installTimeoutMs a stage device that has not reported an end state of the update by then is
 *     counted unreachable (it gets the model later, through the profile-wide manifest)
 * @param observeMs after a stage's devices have installed, their telemetry is watched this long before the gate
 * @param minInferences the gate needs at least this many inferences on the new model from the stage
 * @param maxOtaFailures update failures (REJECTED, FAILED, ROLLED_BACK) tolerated per rollout before it aborts
 * @param maxErrorRatio failed inferences tolerated on the new model, in [0, 1)
 * @param latencyTolerance the stage's p95 may exceed the predicted p95 by this fraction (and never the SLO)
 */
public record RolloutSettings(List<Double> stages, long installTimeoutMs, long observeMs, long minInferences,
    int maxOtaFailures, double maxErrorRatio, double latencyTolerance) {
  public RolloutSettings {
    stages = List.copyOf(stages);
    if (stages.isEmpty() || stages.get(stages.size() - 1) != 1.0) {
      throw new IllegalArgumentException("rollout stages must end at 1.0, but were " + stages);
    }
    double last = 0;
    for (double f : stages) {
      if (!(f > last && f <= 1)) {
        throw new IllegalArgumentException("rollout stages must increase within (0, 1], but were " + stages);
      }
      last = f;
    }
    if (installTimeoutMs < 1 || observeMs < 0 || minInferences < 0 || maxOtaFailures < 0) {
      throw new IllegalArgumentException("rollout timeouts and counts must not be negative, but were install "
          + installTimeoutMs + " ms, observe " + observeMs + " ms, min inferences " + minInferences
          + ", max OTA failures " + maxOtaFailures);
    }
    if (!(maxErrorRatio >= 0 && maxErrorRatio < 1)) {
      throw new IllegalArgumentException("max error ratio must be in [0, 1), but was " + maxErrorRatio);
    }
    if (!(latencyTolerance >= 0) || Double.isInfinite(latencyTolerance)) {
      throw new IllegalArgumentException("latency tolerance must be finite and at least 0, but was " + latencyTolerance);
    }
  }

  /** 10 % → 50 % → 100 %, 10 min install timeout, 2 min observation, 20 inferences, no OTA failure, 5 % errors, +25 %. */
  public static RolloutSettings defaults() {
    return new RolloutSettings(List.of(0.1, 0.5, 1.0), 600_000, 120_000, 20, 0, 0.05, 0.25);
  }
}
