package fwi.cloud.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import fwi.proto.v1.Birth;
import fwi.proto.v1.DeviceEvent;
import fwi.proto.v1.Header;
import fwi.proto.v1.ModelRef;
import fwi.proto.v1.OtaStatus;
import fwi.proto.v1.Telemetry;
import fwi.testing.Fuzz;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hostile records of {@code fwi.device-events} and {@code fwi.telemetry} as {@link FleetFeed}
 * applies them: each either fails to parse ({@link InvalidProtocolBufferException}, counted as
 * unreadable) or is applied without an exception, and the profile statistics stay finite.
 * {@code -Dfwi.fuzz.tries=100000} for a long run.
 */
class FleetStateFuzzTest {
  private static final int TRIES = 500;
  private static final long NOW = 1_700_000_000_000L;

  private static Header header(long seq) {
    return Header.newBuilder().setSchemaVersion(1).setSenderId("pi-1").setSequence(seq).setSentUnixMs(NOW).build();
  }

  private static ModelRef model() {
    return ModelRef.newBuilder().setModelId("inv").setVersion(2).setSha256(ByteString.copyFrom(new byte[32])).build();
  }

  static List<byte[]> events() {
    DeviceEvent.Builder e = DeviceEvent.newBuilder().setSchemaVersion(1).setDeviceId("pi-1").setReceivedUnixMs(NOW);
    return List.of(
        e.clone().setBirth(Birth.newBuilder().setHeader(header(1)).setSessionSeq(4).setProfileName("pi-4b")
            .setAgentVersion("1.0").setRunningModel(model())).build().toByteArray(),
        e.clone().setOtaStatus(OtaStatus.newBuilder().setHeader(header(2))).build().toByteArray());
  }

  static byte[] telemetry() {
    return Telemetry.newBuilder().setHeader(header(3)).setWindowStartUnixMs(NOW - 10_000).setWindowLengthMs(10_000)
        .setModel(model()).setInferenceCount(10).setLatencyP50Us(90_000).setLatencyP95Us(120_000)
        .setInferenceErrorCount(1).build().toByteArray();
  }

  /** A state that knows device pi-1 of profile pi-4b, as after a normal start. */
  private static FleetState known() throws InvalidProtocolBufferException {
    FleetState s = new FleetState(60_000);
    s.apply(DeviceEvent.parseFrom(events().get(0)));
    return s;
  }

  private static void consistent(FleetState s) {
    s.devices();
    s.profileLatency("pi-4b", NOW).ifPresent(p -> assertTrue(Double.isFinite(p.p50Ms()) && Double.isFinite(p.p95Ms())
        && Double.isFinite(p.errorRatio()) && p.p95MsByModel().values().stream().allMatch(Double::isFinite),
        "profile latency must be finite, but was " + p));
  }

  @Test
  void appliesOrRefusesHostileDeviceEvents() {
    Fuzz.campaign("fleet-event", input -> {
      FleetState s = known();
      s.apply(DeviceEvent.parseFrom(input));
      s.apply("pi-1", Telemetry.parseFrom(telemetry()), NOW);
      consistent(s);
    }).documented(InvalidProtocolBufferException.class).seeds(events()).run(TRIES);
  }

  /**
   * uint64 counts above 2^63 (negative as Java longs) from a hostile or broken device: an error count
   * of 2^64 - 10 against 10 inferences made the error ratio -10 / 0 = -Infinity, which passes every
   * rollout gate ("error ratio <= max").
   */
  @Test
  void ignoresTelemetryWindowsWhoseCountsOrLatenciesOverflowASignedLong() throws Exception {
    Telemetry good = Telemetry.parseFrom(telemetry());
    for (Telemetry bad : List.of(good.toBuilder().setInferenceErrorCount(-10).build(),
        good.toBuilder().setInferenceCount(-5).build(), good.toBuilder().setLatencyP95Us(-1).build(),
        good.toBuilder().setLatencyP50Us(Long.MIN_VALUE).build())) {
      FleetState s = known();
      s.apply("pi-1", bad, NOW);
      consistent(s);
      assertEquals(java.util.Optional.empty(), s.profileLatency("pi-4b", NOW), bad.toString());
    }
  }

  @Test
  void appliesOrRefusesHostileTelemetry() {
    Fuzz.campaign("fleet-telemetry", input -> {
      FleetState s = known();
      s.apply("pi-1", Telemetry.parseFrom(input), NOW);
      consistent(s);
    }).documented(InvalidProtocolBufferException.class).seeds(List.of(telemetry())).run(TRIES);
  }
}
