package fwi.cloud.ota;

import fwi.cloud.registry.ModelRegistry;
import java.util.Optional;

/** The OTA topics of the wire contract (DESIGN.md, MQTT topics). */
final class OtaTopics {
  /** Block requests of every device, shared among the cloud instances of group {@code fwi-ota}. */
  static final String SHARED_REQUESTS = "$share/fwi-ota/fwi/v1/dev/+/ota/get";
  private static final String DEV = "fwi/v1/dev/";
  private static final String GET = "/ota/get";

  private OtaTopics() {
  }

  /** The device id of a request topic {@code fwi/v1/dev/{deviceId}/ota/get}; empty for any other topic. */
  static Optional<String> deviceOfRequest(String topic) {
    if (topic == null || !topic.startsWith(DEV) || !topic.endsWith(GET) || topic.length() <= DEV.length() + GET.length()) {
      return Optional.empty();
    }
    String id = topic.substring(DEV.length(), topic.length() - GET.length());
    return ModelRegistry.DEVICE_ID.matcher(id).matches() ? Optional.of(id) : Optional.empty();
  }

  static String block(String deviceId) {
    return DEV + deviceId + "/ota/block";
  }

  static String deviceManifest(String deviceId) {
    return DEV + deviceId + "/manifest";
  }

  static String profileManifest(String profile) {
    return "fwi/v1/profile/" + profile + "/manifest";
  }
}
