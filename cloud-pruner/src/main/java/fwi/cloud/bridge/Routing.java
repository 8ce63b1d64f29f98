package fwi.cloud.bridge;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import fwi.proto.v1.Birth;
import fwi.proto.v1.Death;
import fwi.proto.v1.DeviceEvent;
import fwi.proto.v1.Header;
import fwi.proto.v1.InferenceResult;
import fwi.proto.v1.OtaStatus;
import fwi.proto.v1.Telemetry;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Decides what one MQTT message becomes in Kafka: a record of a data topic, a dead letter with a
 * reason, or nothing. Pure (no I/O), thread-safe.
 *
 * <p>Rules, in order:
 * <ol>
 * <li>The topic must be {@code fwi/v1/dev/{deviceId}/{stream}} with a device id matching
 *     {@code [A-Za-z0-9_-]{1,64}} (the edge agent's rule) and a known stream; else dead letter
 *     {@code unknown-topic} or {@code invalid-device-id}.
 * <li>An empty payload on birth or death, or any empty retained payload, is how an operator
 *     clears a retained message (e.g. of a decommissioned device): skipped, nothing is written,
 *     the MQTT message is acknowledged. An empty payload elsewhere is dead letter {@code empty-payload}.
 * <li>The payload must parse as the stream's message type ({@code unparsable-payload}), carry a
 *     header ({@code missing-header}) whose {@code sender_id} equals the topic's device id
 *     ({@code sender-mismatch}, naming both): the bridge trusts the topic, which the broker ACL
 *     enforces, and refuses messages that claim another sender.
 * <li>Telemetry and results go to their topics byte for byte as received; birth, death and OTA
 *     status go to the device-events topic wrapped in a {@code DeviceEvent}.
 * </ol>
 * Every dead-letter reason starts with one of the codes above, then {@code ": "} and details with
 * the offending values.
 */
final class Routing {
  static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  /** The outcome of {@link #route}. */
  sealed interface Routed permits Forward, DeadLetter, Skip {
  }

  /** Write {@code value} to {@code topic} under key {@code deviceId}. */
  record Forward(String topic, String deviceId, byte[] value) implements Routed {
  }

  /**
   * Write the raw payload to the dead-letter topic.
   *
   * @param deviceId the key: the device id segment of the topic, if the topic had one
   */
  record DeadLetter(Optional<String> deviceId, String reason) implements Routed {
  }

  /** Write nothing (and acknowledge). */
  record Skip(String reason) implements Routed {
  }

  private final String telemetryTopic;
  private final String resultsTopic;
  private final String deviceEventsTopic;

  Routing(String telemetryTopic, String resultsTopic, String deviceEventsTopic) {
    this.telemetryTopic = telemetryTopic;
    this.resultsTopic = resultsTopic;
    this.deviceEventsTopic = deviceEventsTopic;
  }

  Routed route(String mqttTopic, byte[] payload, boolean retained, long receivedUnixMs) {
    if (!mqttTopic.startsWith(DeviceStream.PREFIX)) {
      return new DeadLetter(Optional.empty(), "unknown-topic: '" + mqttTopic + "' is not under " + DeviceStream.PREFIX);
    }
    String rest = mqttTopic.substring(DeviceStream.PREFIX.length());
    int slash = rest.indexOf('/');
    if (slash < 0) {
      return new DeadLetter(Optional.empty(), "unknown-topic: '" + mqttTopic + "' has no stream after the device id");
    }
    String deviceId = rest.substring(0, slash);
    Optional<DeviceStream> stream = DeviceStream.ofSuffix(rest.substring(slash + 1));
    Optional<String> key = deviceId.isEmpty() ? Optional.empty() : Optional.of(deviceId);
    if (stream.isEmpty()) {
      return new DeadLetter(key, "unknown-topic: stream '" + rest.substring(slash + 1) + "' of '" + mqttTopic
          + "' is not one of birth, death, telemetry, result, ota/status");
    }
    if (!DEVICE_ID.matcher(deviceId).matches()) {
      return new DeadLetter(key, "invalid-device-id: '" + deviceId + "' of '" + mqttTopic + "' does not match "
          + DEVICE_ID.pattern());
    }
    DeviceStream s = stream.get();
    if (payload.length == 0) {
      if (retained || s == DeviceStream.BIRTH || s == DeviceStream.DEATH) {
        return new Skip("empty payload on " + mqttTopic + ": a cleared retained message");
      }
      return new DeadLetter(key, "empty-payload: '" + mqttTopic + "' carried 0 bytes");
    }
    try {
      switch (s) {
        case TELEMETRY: {
          Telemetry t = Telemetry.parseFrom(payload);
          return checkSender(t.hasHeader(), t.getHeader(), deviceId, mqttTopic)
              .orElseGet(() -> new Forward(telemetryTopic, deviceId, payload));
        }
        case RESULT: {
          InferenceResult r = InferenceResult.parseFrom(payload);
          return checkSender(r.hasHeader(), r.getHeader(), deviceId, mqttTopic)
              .orElseGet(() -> new Forward(resultsTopic, deviceId, payload));
        }
        case BIRTH: {
          Birth b = Birth.parseFrom(payload);
          return checkSender(b.hasHeader(), b.getHeader(), deviceId, mqttTopic)
              .orElseGet(() -> event(deviceId, receivedUnixMs, DeviceEvent.newBuilder().setBirth(b)));
        }
        case DEATH: {
          Death d = Death.parseFrom(payload);
          return checkSender(d.hasHeader(), d.getHeader(), deviceId, mqttTopic)
              .orElseGet(() -> event(deviceId, receivedUnixMs, DeviceEvent.newBuilder().setDeath(d)));
        }
        case OTA_STATUS: {
          OtaStatus o = OtaStatus.parseFrom(payload);
          return checkSender(o.hasHeader(), o.getHeader(), deviceId, mqttTopic)
              .orElseGet(() -> event(deviceId, receivedUnixMs, DeviceEvent.newBuilder().setOtaStatus(o)));
        }
        default:
          throw new AssertionError("unhandled stream " + s);
      }
    } catch (InvalidProtocolBufferException e) {
      return new DeadLetter(key, "unparsable-payload: " + payload.length + " bytes on '" + mqttTopic
          + "' are not a " + typeName(s) + ": " + e.getMessage());
    }
  }

  private Forward event(String deviceId, long receivedUnixMs, DeviceEvent.Builder b) {
    MessageLite e = b.setSchemaVersion(1).setDeviceId(deviceId).setReceivedUnixMs(receivedUnixMs).build();
    return new Forward(deviceEventsTopic, deviceId, e.toByteArray());
  }

  private static Optional<Routed> checkSender(boolean hasHeader, Header h, String deviceId, String mqttTopic) {
    if (!hasHeader) {
      return Optional.of(new DeadLetter(Optional.of(deviceId), "missing-header: the message on '" + mqttTopic
          + "' has no header, so no sender_id to check against device id '" + deviceId + "'"));
    }
    if (!h.getSenderId().equals(deviceId)) {
      return Optional.of(new DeadLetter(Optional.of(deviceId), "sender-mismatch: header.sender_id '"
          + h.getSenderId() + "' differs from device id '" + deviceId + "' of topic '" + mqttTopic + "'"));
    }
    return Optional.empty();
  }

  private static String typeName(DeviceStream s) {
    switch (s) {
      case TELEMETRY:
        return "fwi.v1.Telemetry";
      case RESULT:
        return "fwi.v1.InferenceResult";
      case BIRTH:
        return "fwi.v1.Birth";
      case DEATH:
        return "fwi.v1.Death";
      case OTA_STATUS:
        return "fwi.v1.OtaStatus";
      default:
        throw new AssertionError("unhandled stream " + s);
    }
  }
}
