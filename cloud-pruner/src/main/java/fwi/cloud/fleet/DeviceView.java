package fwi.cloud.fleet;

import fwi.proto.v1.ModelRef;
import java.util.Optional;

/**
 * What the cloud knows of one device, as of its latest messages.
 *
 * @param online true after a Birth until a Death of the same or a later session
 * @param sessionSeq the connection counter of the latest Birth or Death
 * @param lastSeenUnixMs when the bridge last received anything from the device
 * @param runningModel the model its latest Birth or telemetry names
 * @param otaState latest OTA state name, e.g. {@code ACTIVE}; empty before any update
 * @param lastP95Us p95 of its latest telemetry window with inferences, microseconds; 0 if none yet
 */
public record DeviceView(String deviceId, String profile, String agentVersion, boolean online, long sessionSeq,
    long lastSeenUnixMs, Optional<ModelRef> runningModel, String otaState, long lastP95Us) {
}
