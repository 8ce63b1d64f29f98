package fwi.cloud.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.util.List;

/**
 * How staged rollouts ({@code fwi.rollout.*}) and the planner ({@code fwi.rollout.planner.*}) behave;
 * see {@link fwi.cloud.rollout.RolloutSettings} and {@link fwi.cloud.planner.PlannerSettings}.
 */
@ConfigMapping(prefix = "fwi.rollout")
public interface RolloutConfig {
  /** Cumulative fractions of a profile's devices per stage, ending at 1.0. */
  @WithDefault("0.1,0.5,1.0")
  List<Double> stages();

  @WithName("install-timeout-ms")
  @WithDefault("600000")
  long installTimeoutMs();

  @WithName("observe-ms")
  @WithDefault("120000")
  long observeMs();

  @WithName("min-inferences")
  @WithDefault("20")
  long minInferences();

  @WithName("max-ota-failures")
  @WithDefault("0")
  int maxOtaFailures();

  @WithName("max-error-ratio")
  @WithDefault("0.05")
  double maxErrorRatio();

  @WithName("latency-tolerance")
  @WithDefault("0.25")
  double latencyTolerance();

  /** Start a rollout automatically when a compression job registers a model. */
  @WithName("after-job")
  @WithDefault("true")
  boolean afterJob();

  Planner planner();

  /** When compression jobs start. */
  interface Planner {
    /** Start SLO-triggered jobs automatically (false: only on request). */
    @WithDefault("true")
    boolean automatic();

    @WithName("breach-for-ms")
    @WithDefault("120000")
    long breachForMs();

    @WithName("clear-below-ratio")
    @WithDefault("0.9")
    double clearBelowRatio();

    @WithName("cooldown-ms")
    @WithDefault("900000")
    long cooldownMs();

    @WithName("target-margin")
    @WithDefault("0.85")
    double targetMargin();

    @WithName("min-telemetry-inferences")
    @WithDefault("20")
    long minTelemetryInferences();
  }
}
