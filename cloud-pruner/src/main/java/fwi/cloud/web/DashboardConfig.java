package fwi.cloud.web;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The operator dashboard ({@code fwi.dashboard.*}): how often the live stream sends, how much latency
 * history the server keeps, how far back the result feed looks, how velocity maps are coloured and
 * when the bridge counts as stuck. Cross-key rules are checked when the dashboard starts
 * ({@link #check()}).
 */
@ConfigMapping(prefix = "fwi.dashboard")
public interface DashboardConfig {
  /** The stream sends a snapshot at least this often, even when nothing changed, ms. */
  @WithName("snapshot-interval-ms")
  @WithDefault("1000")
  long snapshotIntervalMs();

  /** How often the fleet is looked at for changes, which are sent at once, ms; at most snapshot-interval-ms. */
  @WithName("change-check-ms")
  @WithDefault("250")
  long changeCheckMs();

  /** Per-profile latency history kept in memory for pages opened later, ms. */
  @WithName("history-ms")
  @WithDefault("1800000")
  long historyMs();

  /** One history point per profile this often, ms; at most history-ms. */
  @WithName("history-sample-ms")
  @WithDefault("5000")
  long historySampleMs();

  /** At start, the result feed reads this many records back from the end of each fwi.results partition. */
  @WithName("results-lookback-records")
  @WithDefault("500")
  int resultsLookbackRecords();

  /** How many of the most recent devices' results the snapshot lists (the page's map gallery). */
  @WithName("gallery-size")
  @WithDefault("8")
  int gallerySize();

  /** Velocity drawn in the colour map's first colour, m/s. */
  @WithName("velocity-min-m-per-s")
  @WithDefault("1500")
  double velocityMinMPerS();

  /** Velocity drawn in the colour map's last colour, m/s; above velocity-min-m-per-s. */
  @WithName("velocity-max-m-per-s")
  @WithDefault("4500")
  double velocityMaxMPerS();

  /** The bridge alarms when its oldest message waiting for Kafka is older than this, ms. */
  @WithName("bridge-waiting-alarm-ms")
  @WithDefault("5000")
  long bridgeWaitingAlarmMs();

  /**
   * Checks every key and the rules between them.
   *
   * @throws IllegalArgumentException naming the first key that breaks one, and its value
   */
  default void check() {
    Map<String, Long> atLeastOne = new LinkedHashMap<>();
    atLeastOne.put("snapshot-interval-ms", snapshotIntervalMs());
    atLeastOne.put("change-check-ms", changeCheckMs());
    atLeastOne.put("history-ms", historyMs());
    atLeastOne.put("history-sample-ms", historySampleMs());
    atLeastOne.put("gallery-size", (long) gallerySize());
    atLeastOne.put("bridge-waiting-alarm-ms", bridgeWaitingAlarmMs());
    atLeastOne.forEach((key, value) -> {
      if (value < 1) {
        throw new IllegalArgumentException("fwi.dashboard." + key + " must be at least 1, but was " + value);
      }
    });
    if (resultsLookbackRecords() < 0) {
      throw new IllegalArgumentException("fwi.dashboard.results-lookback-records must be at least 0, but was "
          + resultsLookbackRecords());
    }
    if (changeCheckMs() > snapshotIntervalMs()) {
      throw new IllegalArgumentException("fwi.dashboard.change-check-ms must be at most snapshot-interval-ms ("
          + snapshotIntervalMs() + "), but was " + changeCheckMs());
    }
    if (historySampleMs() > historyMs()) {
      throw new IllegalArgumentException("fwi.dashboard.history-sample-ms must be at most history-ms (" + historyMs()
          + "), but was " + historySampleMs());
    }
    if (!(Double.isFinite(velocityMinMPerS()) && Double.isFinite(velocityMaxMPerS())
        && velocityMaxMPerS() > velocityMinMPerS())) {
      throw new IllegalArgumentException("fwi.dashboard.velocity-max-m-per-s must be finite and above "
          + "velocity-min-m-per-s (" + velocityMinMPerS() + "), but was " + velocityMaxMPerS());
    }
  }
}
