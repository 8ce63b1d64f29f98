package fwi.cloud.planner;

import fwi.cloud.fleet.FleetState.ProfileLatency;
import fwi.cloud.profile.LatencyFit;
import fwi.cloud.profile.ProfileSpec;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Decides when a hardware profile needs a new model and what latency that model must reach on the
 * reference machine. A job starts when the profile's p95 has stayed above its SLO for
 * {@link PlannerSettings#breachForMs()} (hysteresis: the breach clears only below
 * {@code SLO * clearBelowRatio}), when a new base model is registered, or on an operator's request;
 * never while a job for the profile runs, and SLO-triggered jobs not within the cool-down after the
 * last one. A profile on {@link #hold hold} (its SLO looks out of reach: the most compressed model the
 * jobs may make was rolled back, or a job made a model again that a rollout already aborted) starts no
 * SLO-triggered job until an operator requests one or a new base model is registered: retrying the same
 * plan would only roll the same failure out again. The target is the SLO times the margin, mapped back through the profile's fitted latency
 * model ({@code p95 = a + b * reference}) to the reference machine, where the pruner's latency
 * planner picks the least-pruned plan predicted to meet it.
 *
 * <p>Thread-safe (synchronized); time is passed in, so tests need no clock.
 */
public final class Planner {
  /** Why a job starts. */
  public enum Trigger { SLO_BREACH, NEW_BASE_MODEL, REQUEST }

  /**
   * A job to start.
   *
   * @param targetReferenceMs latency the pruned model must reach on the reference machine
   * @param targetProfileMs the p95 it is expected to reach on the profile ({@code SLO * margin})
   */
  public record Decision(String profile, Trigger trigger, double sloMs, double observedP95Ms,
      double targetProfileMs, double targetReferenceMs, LatencyFit.Estimate fit, String reason) {
  }

  private static final class State {
    long breachSince = -1;
    boolean jobRunning;
    long lastJobEnd = Long.MIN_VALUE / 2;
    String holdReason;
  }

  private final PlannerSettings settings;
  private final Map<String, State> states = new HashMap<>();

  public Planner(PlannerSettings settings) {
    this.settings = settings;
  }

  /**
   * Looks at a profile's latest statistics; returns a decision when a job should start now.
   *
   * @param latency the profile's recent latency, if any telemetry counted
   */
  public synchronized Optional<Decision> evaluate(ProfileSpec profile, Optional<ProfileLatency> latency,
      LatencyFit.Estimate fit, long nowMs) {
    State s = states.computeIfAbsent(profile.name(), k -> new State());
    double slo = profile.latencyP95SloUs() / 1000.0;
    if (latency.isEmpty() || latency.get().inferences() < settings.minTelemetryInferences()) {
      return Optional.empty();
    }
    double p95 = latency.get().p95Ms();
    if (p95 > slo) {
      if (s.breachSince < 0) {
        s.breachSince = nowMs;
      }
    } else if (p95 < slo * settings.clearBelowRatio()) {
      s.breachSince = -1;
    }
    if (s.breachSince < 0 || s.jobRunning || s.holdReason != null || nowMs - s.breachSince < settings.breachForMs()
        || nowMs - s.lastJobEnd < settings.cooldownMs()) {
      return Optional.empty();
    }
    return Optional.of(start(s, profile, Trigger.SLO_BREACH, p95, fit, String.format(
        "p95 %.1f ms above the SLO %.1f ms for %.0f s", p95, slo, (nowMs - s.breachSince) / 1000.0)));
  }

  /**
   * A job on request (operator) or for a new base model; refused while one runs for the profile. Lifts
   * a {@link #hold}: something changed that a new plan may use.
   *
   * @throws IllegalStateException if a job for the profile is running
   */
  public synchronized Decision request(ProfileSpec profile, Trigger trigger, Optional<ProfileLatency> latency,
      LatencyFit.Estimate fit, String why) {
    State s = states.computeIfAbsent(profile.name(), k -> new State());
    if (s.jobRunning) {
      throw new IllegalStateException("a compression job for profile " + profile.name() + " is already running");
    }
    s.holdReason = null;
    return start(s, profile, trigger, latency.map(ProfileLatency::p95Ms).orElse(Double.NaN), fit, why);
  }

  private Decision start(State s, ProfileSpec profile, Trigger trigger, double p95, LatencyFit.Estimate fit,
      String reason) {
    s.jobRunning = true;
    double slo = profile.latencyP95SloUs() / 1000.0;
    double targetProfile = slo * settings.targetMargin();
    double targetReference = (targetProfile - fit.interceptMs()) / fit.slope();
    return new Decision(profile.name(), trigger, slo, p95, targetProfile, targetReference, fit, reason);
  }

  /** The job for {@code profile} ended (success or not) at {@code nowMs}: cool-down starts, the breach is re-measured. */
  public synchronized void jobEnded(String profile, long nowMs) {
    State s = states.computeIfAbsent(profile, k -> new State());
    s.jobRunning = false;
    s.lastJobEnd = nowMs;
    s.breachSince = -1;
  }

  /**
   * Stops SLO-triggered jobs for {@code profile} until {@link #request}: the SLO looks out of reach of
   * what the jobs can make. The first reason given is kept.
   *
   * @param reason one line for operators, naming the model and the figures
   */
  public synchronized void hold(String profile, String reason) {
    State s = states.computeIfAbsent(profile, k -> new State());
    if (s.holdReason == null) {
      s.holdReason = reason;
    }
  }

  /** Why SLO-triggered jobs for {@code profile} are held; empty when they are not. */
  public synchronized Optional<String> held(String profile) {
    State s = states.get(profile);
    return s == null ? Optional.empty() : Optional.ofNullable(s.holdReason);
  }

  public synchronized boolean jobRunning(String profile) {
    State s = states.get(profile);
    return s != null && s.jobRunning;
  }
}
