package fwi.cloud.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.proto.v1.DeviceEvent;
import fwi.proto.v1.OtaStatus;
import fwi.proto.v1.Telemetry;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RoutingTest {
  private final Routing routing = new Routing("tel", "res", "events");

  private Routing.Routed route(String topic, byte[] payload, boolean retained) {
    return routing.route(topic, payload, retained, 1234L);
  }

  private static String reason(Routing.Routed r) {
    return assertInstanceOf(Routing.DeadLetter.class, r).reason();
  }

  @Test
  void forwardsTelemetryBytesUnchangedUnderTheDeviceKey() {
    byte[] t = Device.telemetry("pi-1", 5).toByteArray();
    Routing.Forward f = assertInstanceOf(Routing.Forward.class, route("fwi/v1/dev/pi-1/telemetry", t, false));
    assertEquals("tel", f.topic());
    assertEquals("pi-1", f.deviceId());
    assertArrayEquals(t, f.value());
    assertEquals("res", assertInstanceOf(Routing.Forward.class,
        route("fwi/v1/dev/pi-1/result", Device.result("pi-1", 1).toByteArray(), false)).topic());
  }

  @Test
  void wrapsOtaStatusInADeviceEventStampedWithTheReceiveTime() throws Exception {
    OtaStatus o = Device.otaStatus("pi-1", 2);
    Routing.Forward f = assertInstanceOf(Routing.Forward.class, route("fwi/v1/dev/pi-1/ota/status", o.toByteArray(),
        false));
    assertEquals("events", f.topic());
    DeviceEvent e = DeviceEvent.parseFrom(f.value());
    assertEquals(DeviceEvent.newBuilder().setSchemaVersion(1).setDeviceId("pi-1").setReceivedUnixMs(1234L)
        .setOtaStatus(o).build(), e);
  }

  @Test
  void skipsClearedRetainedMessagesAndDeadLettersOtherEmptyPayloads() {
    assertInstanceOf(Routing.Skip.class, route("fwi/v1/dev/pi-1/birth", new byte[0], false));
    assertInstanceOf(Routing.Skip.class, route("fwi/v1/dev/pi-1/death", new byte[0], true));
    assertInstanceOf(Routing.Skip.class, route("fwi/v1/dev/pi-1/telemetry", new byte[0], true));
    assertEquals("empty-payload: 'fwi/v1/dev/pi-1/telemetry' carried 0 bytes",
        reason(route("fwi/v1/dev/pi-1/telemetry", new byte[0], false)));
  }

  @Test
  void deadLettersWhatItCannotTrustNamingTheValues() {
    assertEquals("sender-mismatch: header.sender_id 'pi-2' differs from device id 'pi-1' of topic "
        + "'fwi/v1/dev/pi-1/death'", reason(route("fwi/v1/dev/pi-1/death", Device.death("pi-2", 1).toByteArray(), true)));
    assertEquals("missing-header: the message on 'fwi/v1/dev/pi-1/telemetry' has no header, so no sender_id to check "
        + "against device id 'pi-1'", reason(route("fwi/v1/dev/pi-1/telemetry",
            Telemetry.newBuilder().setInferenceCount(1).build().toByteArray(), false)));
    String unparsable = reason(route("fwi/v1/dev/pi-1/birth", "{\"json\": 1}".getBytes(StandardCharsets.UTF_8), false));
    assertTrue(unparsable.startsWith("unparsable-payload: 11 bytes on 'fwi/v1/dev/pi-1/birth' are not a fwi.v1.Birth: "),
        unparsable);
    assertEquals("unknown-topic: stream 'ota/get' of 'fwi/v1/dev/pi-1/ota/get' is not one of birth, death, telemetry, "
        + "result, ota/status", reason(route("fwi/v1/dev/pi-1/ota/get", new byte[] {1}, false)));
    assertEquals("unknown-topic: 'fwi/v2/dev/pi-1/telemetry' is not under fwi/v1/dev/",
        reason(route("fwi/v2/dev/pi-1/telemetry", new byte[] {1}, false)));
    Routing.DeadLetter badId = assertInstanceOf(Routing.DeadLetter.class, route("fwi/v1/dev/pi 1/telemetry",
        Device.telemetry("pi 1", 1).toByteArray(), false));
    assertEquals(Optional.of("pi 1"), badId.deviceId());
    assertEquals("invalid-device-id: 'pi 1' of 'fwi/v1/dev/pi 1/telemetry' does not match [A-Za-z0-9_-]{1,64}",
        badId.reason());
  }
}
