package fwi.cloud.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.proto.v1.DeviceEvent;
import fwi.testing.Fuzz;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hostile device payloads and topics at the MQTT→Kafka bridge: {@link Routing#route} never throws;
 * it forwards a payload that parses with the topic's device as sender, skips a cleared retained
 * message, and otherwise dead-letters it with a reason that starts with one of the documented codes.
 * {@code -Dfwi.fuzz.tries=100000} for a long run.
 */
class RoutingFuzzTest {
  private static final int TRIES = 500;
  private static final List<String> CODES = List.of("unknown-topic: ", "invalid-device-id: ", "empty-payload: ",
      "unparsable-payload: ", "missing-header: ", "sender-mismatch: ");
  private static final List<String> STREAMS = List.of("telemetry", "result", "birth", "death", "ota/status");

  private final Routing routing = new Routing("tel", "res", "events");

  private static void consistent(Routing.Routed r, String topic, byte[] payload) throws Exception {
    if (r instanceof Routing.DeadLetter d) {
      assertTrue(CODES.stream().anyMatch(d.reason()::startsWith), "dead-letter reason without a code: " + d.reason());
    } else if (r instanceof Routing.Forward f) {
      if (f.topic().equals("events")) {
        assertEquals(f.deviceId(), DeviceEvent.parseFrom(f.value()).getDeviceId());
      } else {
        assertArrayEquals(payload, f.value(), "telemetry and results are forwarded byte for byte");
      }
      assertTrue(Routing.DEVICE_ID.matcher(f.deviceId()).matches(), f.deviceId());
      assertTrue(topic.contains("/" + f.deviceId() + "/"), topic);
    } else {
      assertTrue(r instanceof Routing.Skip, String.valueOf(r));
    }
  }

  @Test
  void deadLettersEveryHostilePayloadWithACodedReason() {
    Fuzz.campaign("bridge-payload", input -> {
      for (String stream : STREAMS) {
        String topic = "fwi/v1/dev/pi-1/" + stream;
        consistent(routing.route(topic, input, false, 1L), topic, input);
      }
    }).seeds(List.of(Device.telemetry("pi-1", 5).toByteArray(), Device.result("pi-1", 1).toByteArray(),
        Device.birth("pi-1", 3).toByteArray(), Device.death("pi-1", 3).toByteArray(),
        Device.otaStatus("pi-1", 2).toByteArray())).run(TRIES);
  }

  @Test
  void deadLettersEveryHostileTopicWithACodedReason() {
    byte[] telemetry = Device.telemetry("pi-1", 5).toByteArray();
    Fuzz.campaign("bridge-topic", input -> {
      String topic = new String(input, StandardCharsets.UTF_8);
      consistent(routing.route(topic, telemetry, true, 1L), topic, telemetry);
    }).seeds(STREAMS.stream().map(s -> ("fwi/v1/dev/pi-1/" + s).getBytes(StandardCharsets.UTF_8)).toList())
        .run(TRIES);
  }
}
