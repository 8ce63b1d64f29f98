package fwi.proto.v1;

import static fwi.proto.v1.WireAssertions.assertFieldsUnknownToOlderAreUnset;
import static fwi.proto.v1.WireAssertions.assertSharedFieldsEqual;
import static fwi.proto.v1.WireAssertions.assertWireCompatible;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TelemetryTest {

  /** Telemetry as an agent of the first release writes it: every field it knows is set. */
  private static fwi.proto.v1.legacy.Telemetry firstReleaseTelemetry() {
    return fwi.proto.v1.legacy.Telemetry.newBuilder()
        .setHeader(fwi.proto.v1.legacy.Header.newBuilder()
            .setSchemaVersion(1)
            .setSenderId(Fixtures.DEVICE_ID)
            .setSequence(12)
            .setSentUnixMs(Fixtures.NOW_UNIX_MS))
        .setWindowStartUnixMs(Fixtures.NOW_UNIX_MS - 30_000)
        .setWindowLengthMs(30_000)
        .setModel(fwi.proto.v1.legacy.ModelRef.newBuilder()
            .setModelId("inversionnet-pi-3b-v2")
            .setVersion(2))
        .setInferenceCount(20)
        .setThroughputPerS(0.6667)
        .setLatencyP50Us(1_250_000)
        .setLatencyP95Us(1_480_000)
        .setInferenceErrorCount(1)
        .setMemoryRssBytes(305_000_000L)
        .setCpuTemperatureMdegC(61_300)
        .build();
  }

  @Test
  void roundTripsTelemetryWithAllFieldsSet() throws Exception {
    Telemetry sent = Fixtures.telemetry();

    Telemetry received = Telemetry.parseFrom(sent.toByteArray());

    assertEquals(sent, received);
    assertEquals(-5_250, received.getCpuTemperatureMdegC());
  }

  @Test
  void keepsEveryFirstReleaseFieldAtItsNumberNameAndType() {
    assertWireCompatible(fwi.proto.v1.legacy.Telemetry.getDescriptor(), Telemetry.getDescriptor());
  }

  @Test
  void readsTelemetryFromAFirstReleaseAgentWithNewFieldsAtDefaults() throws Exception {
    fwi.proto.v1.legacy.Telemetry old = firstReleaseTelemetry();

    Telemetry read = Telemetry.parseFrom(old.toByteArray());

    assertSharedFieldsEqual(old, read);
    assertFieldsUnknownToOlderAreUnset(fwi.proto.v1.legacy.Telemetry.getDescriptor(), read);
    assertEquals(1_480_000, read.getLatencyP95Us());
    assertEquals(0, read.getLatencyP99Us());
    assertEquals(0, read.getModel().getSha256().size());
    assertEquals(0, read.getUnknownFields().asMap().size());
  }

  @Test
  void losesNothingWhenAFirstReleaseRelayParsesAndReserializesNewTelemetry() throws Exception {
    Telemetry sent = Fixtures.telemetry();

    fwi.proto.v1.legacy.Telemetry relayed =
        fwi.proto.v1.legacy.Telemetry.parseFrom(sent.toByteArray());
    Telemetry received = Telemetry.parseFrom(relayed.toByteArray());

    assertSharedFieldsEqual(relayed, sent);
    assertTrue(relayed.getUnknownFields().hasField(Telemetry.LATENCY_P99_US_FIELD_NUMBER));
    assertTrue(relayed.getModel().getUnknownFields().hasField(ModelRef.SHA256_FIELD_NUMBER));
    assertEquals(sent, received);
  }
}
