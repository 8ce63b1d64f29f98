package fwi.cloud.web;

/**
 * Something an operator should look at, most urgent first when sorted by {@link #severity()} then
 * {@link #kind()}.
 *
 * @param subject what it is about: a profile, a job id, a rollout id, or "bridge" / "fleet"
 * @param message one line naming the figures (which devices, how far over the SLO, why it failed)
 * @param sinceUnixMs when the condition began as far as known (e.g. the oldest last-seen of offline
 *     devices, the job's creation); 0 if not known
 */
public record Alarm(Severity severity, Kind kind, String subject, String message, long sinceUnixMs) {
  /** How urgent, most urgent first. */
  public enum Severity { CRITICAL, WARNING, INFO }

  /** What kind of problem, in the order the page lists alarms of one severity. */
  public enum Kind {
    SLO_BREACH, DEVICES_OFFLINE, BRIDGE_WAITING_FOR_KAFKA, BRIDGE_MQTT_DISCONNECTED, PLANNER_HELD, ROLLOUT_ABORTED,
    JOB_FAILED, ROLLOUT_PAUSED, FLEET_REPLAYING, PLANNING_UNAVAILABLE
  }

  public Alarm {
    if (severity == null || kind == null || subject == null || message == null) {
      throw new IllegalArgumentException("severity, kind, subject and message must be set, but one was null in "
          + severity + " " + kind + " " + subject + ": " + message);
    }
    if (sinceUnixMs < 0) {
      throw new IllegalArgumentException("alarm since must be at least 0 (unknown), but was " + sinceUnixMs);
    }
  }
}
