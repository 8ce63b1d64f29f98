package fwi.edge.publish;

import java.util.regex.Pattern;

/**
 * The MQTT topics of one device (DESIGN.md, MQTT topics): everything it publishes lies under
 * {@code fwi/v1/dev/{deviceId}/}, which the broker ACL enforces.
 *
 * @param deviceId the device id, {@code [A-Za-z0-9_-]}, 1 to 64 characters (the same rule as
 *     {@code fwi.agent.device-id}); it never contains MQTT wildcards or level separators
 */
public record DeviceTopics(String deviceId) {
  static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  /** @throws IllegalArgumentException if {@code deviceId} does not match {@code [A-Za-z0-9_-]{1,64}} */
  public DeviceTopics {
    checkDeviceId(deviceId);
  }

  static String checkDeviceId(String deviceId) {
    if (deviceId == null || !DEVICE_ID.matcher(deviceId).matches()) {
      throw new IllegalArgumentException(
          "device id must match " + DEVICE_ID.pattern() + ", but was '" + deviceId + "'");
    }
    return deviceId;
  }

  static String prefix(String deviceId) {
    return "fwi/v1/dev/" + checkDeviceId(deviceId) + "/";
  }

  /** {@code fwi/v1/dev/{deviceId}/birth}: QoS 1, retained. */
  public String birth() {
    return prefix(deviceId) + "birth";
  }

  /** {@code fwi/v1/dev/{deviceId}/death}: the will, QoS 1, retained. */
  public String death() {
    return prefix(deviceId) + "death";
  }

  /** The topic of {@code stream}, e.g. {@code fwi/v1/dev/{deviceId}/result}. */
  public String of(Stream stream) {
    return stream.topic(deviceId);
  }

  /** {@code fwi/v1/dev/{deviceId}/ota/block}: block responses from the cloud. */
  public String otaBlock() {
    return prefix(deviceId) + "ota/block";
  }

  /** {@code fwi/v1/dev/{deviceId}/manifest}: manifests targeted at this device (retained). */
  public String manifest() {
    return prefix(deviceId) + "manifest";
  }
}
