package fwi.cloud.sim;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.regex.Pattern;
import javax.net.SocketFactory;

/**
 * What a {@link FleetSimulator} runs, checked as a whole at construction; a bad value fails with an
 * {@link IllegalArgumentException} naming the setting and the value.
 *
 * @param brokerUrl {@code tcp://host:port} or {@code ssl://host:port}
 * @param devices the simulated devices, each on its own MQTT connection (the broker ACL lets a
 *     connection publish only for the device it logged in as); distinct ids, at least one
 * @param resultsPerSecond InferenceResults per second per device, 0 to 1000 (0: none); a Pi running
 *     InversionNet makes 1 to 30
 * @param telemetryInterval time between a device's Telemetry messages, 100 ms to 1 h
 * @param duration how long the devices publish once connected, 1 s to 7 days
 * @param profile hardware profile every device announces in its Birth, {@code [A-Za-z0-9_.-]{1,64}}
 * @param latencyP50Ms the median inference latency the devices report in telemetry, ms, above 0
 *     (it feeds the cloud's latency fit and planner: above a profile's SLO it triggers compression jobs)
 * @param maxInFlight QoS 1 messages a device sends without PUBACK at most, 1 to 65535 (the
 *     broker's Receive Maximum lowers it); a publish finding the window full is counted as skipped
 * @param socketFactory sockets for the connections (TLS with the broker's CA for {@code ssl://})
 * @param firstSequence first {@code header.sequence} of each device's telemetry and result streams;
 *     each stream counts up by one from there without gaps. A simulated device keeps no counters on
 *     disk, unlike an agent, so a run must start above every number an earlier run with the same ids
 *     used, or the fleet state drops its messages as duplicates: {@code pruner fleet-sim} takes the
 *     start time in ms x 1000 + 1
 * @param sessionSeq {@code session_seq} (and header sequence) of every device's Birth and Death;
 *     higher than any earlier run's, or readers take the new Birth for a stale one ({@code pruner
 *     fleet-sim}: the start time in ms)
 */
public record FleetSimSettings(String brokerUrl, List<DeviceLogin> devices, double resultsPerSecond,
    Duration telemetryInterval, Duration duration, String profile, double latencyP50Ms, int maxInFlight,
    SocketFactory socketFactory, long firstSequence, long sessionSeq) {
  private static final Pattern PROFILE = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  public FleetSimSettings {
    if (brokerUrl == null || !(brokerUrl.startsWith("tcp://") || brokerUrl.startsWith("ssl://"))) {
      throw new IllegalArgumentException("broker URL must start with tcp:// or ssl://, but was '" + brokerUrl + "'");
    }
    if (devices == null || devices.isEmpty()) {
      throw new IllegalArgumentException("devices must list at least one device, but was " + devices);
    }
    devices = List.copyOf(devices);
    HashSet<String> ids = new HashSet<>();
    for (DeviceLogin d : devices) {
      if (!ids.add(d.deviceId())) {
        throw new IllegalArgumentException("device ids must be distinct, but '" + d.deviceId() + "' repeats");
      }
    }
    if (!(resultsPerSecond >= 0 && resultsPerSecond <= 1000)) {
      throw new IllegalArgumentException("results per second per device must be in [0, 1000], but was "
          + resultsPerSecond);
    }
    if (telemetryInterval == null || telemetryInterval.toMillis() < 100 || telemetryInterval.toMillis() > 3_600_000) {
      throw new IllegalArgumentException("telemetry interval must be 100 ms to 1 h, but was "
          + (telemetryInterval == null ? null : telemetryInterval.toMillis() + " ms"));
    }
    if (duration == null || duration.toMillis() < 1000 || duration.compareTo(Duration.ofDays(7)) > 0) {
      throw new IllegalArgumentException("duration must be 1 s to 7 days, but was " + duration);
    }
    if (profile == null || !PROFILE.matcher(profile).matches()) {
      throw new IllegalArgumentException("profile must match " + PROFILE.pattern() + ", but was '" + profile + "'");
    }
    if (!(latencyP50Ms > 0 && latencyP50Ms < 3_600_000)) {
      throw new IllegalArgumentException("median latency must be in (0, 3600000) ms, but was " + latencyP50Ms);
    }
    if (maxInFlight < 1 || maxInFlight > 65535) {
      throw new IllegalArgumentException("max in flight must be in [1, 65535], but was " + maxInFlight);
    }
    if (socketFactory == null) {
      throw new IllegalArgumentException("socket factory must be set, but was null");
    }
    if (firstSequence < 1 || sessionSeq < 1) {
      throw new IllegalArgumentException("first sequence and session_seq must be at least 1, but were "
          + firstSequence + " and " + sessionSeq);
    }
  }
}
