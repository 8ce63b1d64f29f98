package fwi.edge.publish;

import java.util.Optional;

/**
 * The device-to-cloud message streams that carry a {@code Header.sequence} of their own, with the
 * topic suffix under {@code fwi/v1/dev/{deviceId}/} (DESIGN.md, MQTT topics). Birth and death are
 * not streams: they are retained, tied to a connection and published by {@link MqttPublisher}
 * itself.
 *
 * <p>Each stream has a stable one-byte {@link #code()} written into the outbox files (never the
 * ordinal, so reordering the constants cannot corrupt a buffer on disk) and a
 * {@link #dropRank()}: when the outbox is full, entries of the stream with the lowest rank are
 * dropped first.
 */
public enum Stream {
  /** Periodic latency and health reports; small, dropped after results. */
  TELEMETRY("telemetry", 1, 1),
  /** Inference results; large (a velocity map), and recomputable on the device, so dropped first. */
  RESULT("result", 2, 0),
  /** OTA state changes; rare and needed by rollouts, so dropped last. */
  OTA_STATUS("ota/status", 3, 3),
  /**
   * OTA block requests; sent with {@link MqttPublisher#publishNow} and never buffered (a stale
   * request after an outage is useless), so its rank only matters to direct outbox users.
   */
  OTA_GET("ota/get", 4, 2);

  private final String topicSuffix;
  private final byte code;
  private final int dropRank;

  Stream(String topicSuffix, int code, int dropRank) {
    this.topicSuffix = topicSuffix;
    this.code = (byte) code;
    this.dropRank = dropRank;
  }

  /** Topic below {@code fwi/v1/dev/{deviceId}/}, e.g. {@code ota/status}. */
  public String topicSuffix() {
    return topicSuffix;
  }

  /** Full topic of this stream for {@code deviceId}, e.g. {@code fwi/v1/dev/pi-7/telemetry}. */
  public String topic(String deviceId) {
    return DeviceTopics.prefix(deviceId) + topicSuffix;
  }

  /** Stable on-disk code, 1 to 127. */
  byte code() {
    return code;
  }

  /** Drop order when the outbox is full: lower ranks are dropped first. */
  int dropRank() {
    return dropRank;
  }

  /** The stream written as {@code code} on disk, if this agent knows it. */
  static Optional<Stream> ofCode(byte code) {
    for (Stream s : values()) {
      if (s.code == code) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }
}
