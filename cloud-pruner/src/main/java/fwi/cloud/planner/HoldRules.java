package fwi.cloud.planner;

import fwi.cloud.rollout.Rollout;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * When the planner should stop starting SLO-triggered jobs for a profile ({@link Planner#hold}): its SLO
 * looks out of reach of what compression jobs can make, and retrying would roll the same failure out
 * again. Pure functions of the jobs' outcomes and the rollouts; the service applies them.
 */
public final class HoldRules {
  private HoldRules() {
  }

  /**
   * What a profile's latest successful compression job made.
   *
   * @param atMaxRatio the job's latency target was predicted out of reach, so it pruned at the maximum ratio
   * @param targetMs the p95 the job aimed at on the profile
   * @param predictedMs the p95 predicted for the model it made
   */
  public record JobModel(String jobId, long version, boolean atMaxRatio, double targetMs, double predictedMs) {
  }

  /**
   * A job made {@code version} again (the registry is content-addressed: same bytes, same version), and a
   * rollout already aborted it: rolling it out again would fail the same way.
   *
   * @param rollouts every rollout, in the order they started
   * @return the reason to hold (and not roll out), if the version was aborted before
   */
  public static Optional<String> repeatOfAborted(String profile, String jobId, long version, double sloMs,
      List<Rollout.Status> rollouts) {
    return rollouts.stream()
        .filter(r -> r.profile().equals(profile) && r.toVersion() == version && r.state() == Rollout.State.ABORTED)
        .reduce((a, b) -> b)
        .map(r -> String.format(Locale.ROOT, "job %s made version %d again (the same bytes), which rollout %s "
            + "aborted: %s. The SLO %.1f ms looks out of reach: change the SLO, register a new base model or "
            + "request a job", jobId, version, r.id(), r.reason(), sloMs));
  }

  /**
   * The profile's latest rollout aborted the model its latest job made at the maximum pruning ratio: a
   * new job would plan the same model, or none faster.
   *
   * @param latest the profile's latest job model, if any
   * @param rollouts every rollout, in the order they started
   * @param maxRatio the pruning ratio jobs may not exceed
   * @return the reason to hold, if so
   */
  public static Optional<String> fastestRolledBack(String profile, Optional<JobModel> latest,
      List<Rollout.Status> rollouts, double maxRatio) {
    if (latest.isEmpty() || !latest.get().atMaxRatio()) {
      return Optional.empty();
    }
    JobModel m = latest.get();
    return rollouts.stream().filter(r -> r.profile().equals(profile)).reduce((a, b) -> b)
        .filter(r -> r.toVersion() == m.version() && r.state() == Rollout.State.ABORTED)
        .map(r -> String.format(Locale.ROOT, "version %d, pruned by job %s at the maximum ratio %.2f "
            + "(fwi.compression.max-ratio) because its target %.1f ms was predicted out of reach (%.1f ms), was "
            + "rolled back by rollout %s: %s. Change the SLO, register a new base model or request a job",
            m.version(), m.jobId(), maxRatio, m.targetMs(), m.predictedMs(), r.id(), r.reason()));
  }
}
