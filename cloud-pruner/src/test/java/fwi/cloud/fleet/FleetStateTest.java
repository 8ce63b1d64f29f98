package fwi.cloud.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import fwi.proto.v1.Birth;
import fwi.proto.v1.Death;
import fwi.proto.v1.DeathReason;
import fwi.proto.v1.DeviceEvent;
import fwi.proto.v1.Header;
import fwi.proto.v1.ModelRef;
import fwi.proto.v1.OtaState;
import fwi.proto.v1.OtaStatus;
import fwi.proto.v1.SequenceSkip;
import fwi.proto.v1.Telemetry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FleetStateTest {
  static Header h(String dev, long seq) {
    return Header.newBuilder().setSchemaVersion(1).setSenderId(dev).setSequence(seq).build();
  }

  static ModelRef model(long v) {
    return ModelRef.newBuilder().setModelId("inv-v" + v).setVersion(v).setSha256(ByteString.copyFrom(new byte[] {(byte) v}))
        .build();
  }

  static DeviceEvent birth(String dev, long seq, long session, long model) {
    return DeviceEvent.newBuilder().setSchemaVersion(1).setDeviceId(dev).setReceivedUnixMs(1000 * seq)
        .setBirth(Birth.newBuilder().setHeader(h(dev, seq)).setSessionSeq(session).setProfileName("pi-4b")
            .setAgentVersion("0.1.0").setRunningModel(model(model)))
        .build();
  }

  static DeviceEvent death(String dev, long seq, long session) {
    return DeviceEvent.newBuilder().setSchemaVersion(1).setDeviceId(dev).setReceivedUnixMs(1000 * seq)
        .setDeath(Death.newBuilder().setHeader(h(dev, seq)).setSessionSeq(session)
            .setReason(DeathReason.DEATH_REASON_CONNECTION_LOST))
        .build();
  }

  static Telemetry telemetry(String dev, long seq, long end, long model, long count, long p95Us) {
    return Telemetry.newBuilder().setHeader(h(dev, seq)).setWindowStartUnixMs(end - 10_000).setWindowLengthMs(10_000)
        .setModel(model(model)).setInferenceCount(count).setLatencyP50Us(p95Us / 2).setLatencyP95Us(p95Us).build();
  }

  @Test
  void birthAndDeathPairBySessionAndTheDeathWinsATie() {
    FleetState f = new FleetState(60_000);
    f.apply(birth("d1", 1, 1, 1));
    assertTrue(f.device("d1").orElseThrow().online());
    f.apply(death("d1", 1, 1));
    assertFalse(f.device("d1").orElseThrow().online());
    // a stale retained Birth of the same session read again after the Death: still offline
    f.apply(birth("d1", 2, 1, 1));
    assertFalse(f.device("d1").orElseThrow().online());
    // the next session
    f.apply(birth("d1", 3, 2, 2));
    DeviceView v = f.device("d1").orElseThrow();
    assertTrue(v.online());
    assertEquals(2, v.sessionSeq());
    assertEquals(2, v.runningModel().orElseThrow().getVersion());
    assertEquals("pi-4b", v.profile());
  }

  static DeviceEvent birthWithSkips(String dev, long seq, long session, SequenceSkip... skips) {
    DeviceEvent b = birth(dev, seq, session, 1);
    return b.toBuilder().setBirth(b.getBirth().toBuilder().addAllSkippedSequences(List.of(skips))).build();
  }

  static SequenceSkip skip(String type, long first, long last) {
    return SequenceSkip.newBuilder().setMessageType(type).setFirstSeq(first).setLastSeq(last).build();
  }

  @Test
  void recordsAnnouncedSkipsPerDeviceAndStreamMergingRepeatedAndAdjacentRanges() {
    FleetState f = new FleetState(60_000);
    f.apply(birthWithSkips("d1", 1, 1, skip("result", 14, 100), skip("telemetry", 2, 100)));
    f.apply(birthWithSkips("d1", 2, 2, skip("result", 14, 100), skip("result", 251, 300)));
    f.apply(birthWithSkips("d1", 3, 3, skip("result", 14, 100), skip("result", 101, 120), skip("result", 251, 300)));
    f.apply(birth("d2", 1, 1, 1));

    DeviceView v = f.device("d1").orElseThrow();
    assertEquals(Map.of("result", List.of(new DeviceView.SequenceRange(14, 120), new DeviceView.SequenceRange(251, 300)),
        "telemetry", List.of(new DeviceView.SequenceRange(2, 100))), v.skippedSequences());
    assertTrue(v.announcedSkip("result", 14));
    assertTrue(v.announcedSkip("result", 120));
    assertFalse(v.announcedSkip("result", 13), "below every announced range: lost, not skipped");
    assertFalse(v.announcedSkip("result", 121));
    assertFalse(v.announcedSkip("ota/status", 50));
    assertEquals(Map.of(), f.device("d2").orElseThrow().skippedSequences(), "a device that never crashed");
  }

  @Test
  void skipsOfAStaleBirthCountButImplausibleOnesAreIgnored() {
    FleetState f = new FleetState(60_000);
    f.apply(birth("d1", 5, 5, 1));
    f.apply(birthWithSkips("d1", 6, 4, skip("result", 1, 9)));
    f.apply(birthWithSkips("d1", 7, 5, skip("result", 30, 20), skip("result", 0, 3), skip("ota/get", 1, 5),
        skip("birth", 1, 2)));

    assertEquals(Map.of("result", List.of(new DeviceView.SequenceRange(1, 9))),
        f.device("d1").orElseThrow().skippedSequences());
    assertEquals(4, f.implausible());
  }

  @Test
  void keepsOnlyTheMostRecentDisjointRangesPerStream() {
    FleetState f = new FleetState(60_000);
    for (int i = 0; i < FleetState.SKIPS_KEPT + 5; i++) {
      f.apply(birthWithSkips("d1", i + 1, i + 1, skip("result", 100L * i + 50, 100L * i + 99)));
    }
    List<DeviceView.SequenceRange> kept = f.device("d1").orElseThrow().skippedSequences().get("result");
    assertEquals(FleetState.SKIPS_KEPT, kept.size());
    assertEquals(new DeviceView.SequenceRange(550, 599), kept.get(0));
  }

  @Test
  void dropsDuplicatesByDeviceStreamAndSequence() {
    FleetState f = new FleetState(60_000);
    f.apply(birth("d1", 1, 1, 1));
    assertTrue(f.apply("d1", telemetry("d1", 5, 100_000, 1, 10, 40_000), 100_000));
    assertFalse(f.apply("d1", telemetry("d1", 5, 100_000, 1, 10, 40_000), 100_001));
    assertFalse(f.apply("d1", telemetry("d1", 4, 90_000, 1, 10, 40_000), 100_002));
    // another device's sequence 5 is its own
    f.apply(birth("d2", 1, 1, 1));
    assertTrue(f.apply("d2", telemetry("d2", 5, 100_000, 1, 30, 80_000), 100_000));
    assertEquals(2, f.duplicates());
    FleetState.ProfileLatency p = f.profileLatency("pi-4b", 100_000).orElseThrow();
    assertEquals(40, p.inferences());
    assertEquals((10 * 40.0 + 30 * 80.0) / 40, p.p95Ms(), 1e-9);
    assertEquals(2, p.devices());
  }

  @Test
  void profileStatisticsForgetOldWindowsAndSplitByModel() {
    FleetState f = new FleetState(60_000);
    List<FleetState.Window> heard = new ArrayList<>();
    f.addListener((profile, w) -> heard.add(w));
    f.apply(birth("d1", 1, 1, 1));
    f.apply("d1", telemetry("d1", 1, 10_000, 1, 10, 100_000), 10_000);
    f.apply("d1", telemetry("d1", 2, 100_000, 2, 10, 20_000), 100_000);
    FleetState.ProfileLatency p = f.profileLatency("pi-4b", 100_000).orElseThrow();
    assertEquals(20.0, p.p95Ms(), 1e-9, "the window that ended 90 s ago no longer counts");
    assertEquals(1, p.p95MsByModel().size());
    assertEquals(2, heard.size());
  }

  @Test
  void telemetryReadBeforeTheBirthCountsOnceTheProfileIsKnown() {
    FleetState f = new FleetState(60_000);
    List<String> heard = new ArrayList<>();
    f.addListener((profile, w) -> heard.add(profile + " " + w.deviceId()));
    f.apply("d1", telemetry("d1", 1, 10_000, 1, 10, 100_000), 10_000);
    assertTrue(f.profileLatency("pi-4b", 10_000).isEmpty());
    f.apply(birth("d1", 1, 1, 1));
    assertEquals(100.0, f.profileLatency("pi-4b", 10_000).orElseThrow().p95Ms(), 1e-9);
    assertEquals(List.of("pi-4b d1"), heard);
  }

  @Test
  void otaStatusAndSilenceUpdateTheRegistry() {
    FleetState f = new FleetState(60_000);
    f.apply(birth("d1", 1, 1, 1));
    f.apply(DeviceEvent.newBuilder().setDeviceId("d1").setReceivedUnixMs(2000)
        .setOtaStatus(OtaStatus.newBuilder().setHeader(h("d1", 1)).setState(OtaState.OTA_STATE_DOWNLOADING)).build());
    assertEquals("DOWNLOADING", f.device("d1").orElseThrow().otaState());
    f.expireSilent(5_000);
    assertFalse(f.device("d1").orElseThrow().online());
  }

  @Test
  void replayingTheSameRecordsRebuildsTheSameState() {
    List<Object> records = List.of(birth("d1", 1, 1, 1), telemetry("d1", 1, 10_000, 1, 5, 50_000), death("d1", 1, 1),
        birth("d1", 2, 2, 2), telemetry("d1", 2, 20_000, 2, 5, 30_000));
    FleetState a = new FleetState(60_000);
    FleetState b = new FleetState(60_000);
    for (FleetState f : List.of(a, b)) {
      for (Object r : records) {
        if (r instanceof DeviceEvent e) {
          f.apply(e);
        } else {
          f.apply("d1", (Telemetry) r, 20_000);
        }
      }
    }
    // b sees everything twice (a consumer restarted without committed offsets): same state
    for (Object r : records) {
      if (r instanceof DeviceEvent e) {
        b.apply(e);
      } else {
        b.apply("d1", (Telemetry) r, 20_000);
      }
    }
    assertEquals(a.devices(), b.devices());
    assertEquals(a.profileLatency("pi-4b", 20_000), b.profileLatency("pi-4b", 20_000));
  }
}
