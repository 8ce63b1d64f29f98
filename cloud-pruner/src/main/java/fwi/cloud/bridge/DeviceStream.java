package fwi.cloud.bridge;

import java.util.Optional;

/** The device-to-cloud MQTT streams the bridge forwards: the last segments of {@code fwi/v1/dev/{deviceId}/...}. */
enum DeviceStream {
  BIRTH("birth"),
  DEATH("death"),
  TELEMETRY("telemetry"),
  RESULT("result"),
  OTA_STATUS("ota/status");

  static final String PREFIX = "fwi/v1/dev/";

  /** The topic suffix after {@code fwi/v1/dev/{deviceId}/}. */
  final String suffix;

  DeviceStream(String suffix) {
    this.suffix = suffix;
  }

  /** The shared-subscription filter of this stream: {@code $share/<group>/fwi/v1/dev/+/<suffix>}. */
  String sharedFilter(String group) {
    return "$share/" + group + "/" + PREFIX + "+/" + suffix;
  }

  /** The stream whose suffix is {@code suffix}, if any. */
  static Optional<DeviceStream> ofSuffix(String suffix) {
    for (DeviceStream s : values()) {
      if (s.suffix.equals(suffix)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }
}
