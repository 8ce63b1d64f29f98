package fwi.cloud.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fwi.cloud.bridge.BridgeStats;
import fwi.cloud.fleet.FleetState;
import fwi.cloud.profile.LatencyFit;
import fwi.cloud.profile.ProfileSpec;
import fwi.cloud.rollout.Rollout;
import fwi.cloud.service.FleetResource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AlarmsTest {
  private static final long NOW = 1_800_000_000_000L;
  private final Alarms alarms = new Alarms(5_000);

  private static FleetResource.Profile profile(String name, double sloMs, Optional<Double> p95Ms) {
    ProfileSpec spec = new ProfileSpec(name, 4, 1L << 32, Math.round(sloMs * 1000), 1L << 30, "test", 1.0);
    return new FleetResource.Profile(spec, sloMs, new LatencyFit.Estimate(0, 1, 0, 0, LatencyFit.Source.PRIOR),
        p95Ms.map(p -> new FleetState.ProfileLatency(name, 2, 840, p * 0.8, p, 0, Map.of())), 2, 2, false, 1, "");
  }

  private static FleetResource.Device device(String id, String profile, boolean online, long lastSeen) {
    return new FleetResource.Device(id, profile, "0.1.0", online, lastSeen, "m", 1, "", "", 0, Map.of());
  }

  private static FleetResource.Job job(String id, String profile, long created, String state) {
    return new FleetResource.Job(id, profile, "test", created, state, "FINE_TUNING", 40, state.equals("FAILED")
        ? "FINE_TUNING: loss is NaN" : "", "", 0, 0, 0, 0, 0, 0, Optional.empty(), Optional.empty(), false, Map.of());
  }

  private static Rollout.Status rollout(String id, String profile, Rollout.State state, String reason) {
    return new Rollout.Status(id, profile, 1, 2, state, 1, List.of(), Map.of(), reason);
  }

  private static BridgeStats bridge(long waiting, long oldestMs, int connected) {
    return new BridgeStats(10, 0, Map.of(), 0, 0, waiting, oldestMs, 10, 0, 0, connected, 2, false,
        Optional.of("Kafka unreachable"), Optional.empty());
  }

  private List<Alarm> of(List<FleetResource.Profile> profiles, List<FleetResource.Device> devices,
      List<FleetResource.Job> jobs, List<Rollout.Status> rollouts, Optional<BridgeStats> bridge) {
    return alarms.of(new Alarms.Facts(NOW, profiles, devices, jobs, rollouts, bridge, true, ""));
  }

  @Test
  void aHealthyFleetRaisesNothing() {
    assertEquals(List.of(), of(List.of(profile("pi-4b", 500, Optional.of(300.0))),
        List.of(device("a", "pi-4b", true, NOW)), List.of(job("j1", "pi-4b", 1, "SUCCEEDED")),
        List.of(rollout("r1", "pi-4b", Rollout.State.COMPLETED, "every stage passed")),
        Optional.of(bridge(0, 0, 2))));
  }

  @Test
  void namesTheProfileOverItsSloWithTheFigures() {
    List<Alarm> a = of(List.of(profile("pi-5", 200, Optional.of(236.0)), profile("pi-4b", 500, Optional.empty())),
        List.of(), List.of(), List.of(), Optional.empty());
    assertEquals(List.of(new Alarm(Alarm.Severity.CRITICAL, Alarm.Kind.SLO_BREACH, "pi-5",
        "p95 236.0 ms is over the SLO 200.0 ms (+18 %) on 2 device(s), 840 inferences", 0)), a);
  }

  @Test
  void groupsOfflineDevicesPerProfileAndIsCriticalWhenAllAreOffline() {
    List<Alarm> a = of(List.of(), List.of(device("b", "pi-4b", false, NOW - 60_000), device("a", "pi-4b", true, NOW),
        device("c", "pi-4b", false, NOW - 120_000), device("z", "pi-5", false, NOW - 5_000)), List.of(), List.of(),
        Optional.empty());
    assertEquals(List.of(
        new Alarm(Alarm.Severity.CRITICAL, Alarm.Kind.DEVICES_OFFLINE, "pi-5", "1 of 1 device(s) offline: z", NOW - 5_000),
        new Alarm(Alarm.Severity.WARNING, Alarm.Kind.DEVICES_OFFLINE, "pi-4b", "2 of 3 device(s) offline: b, c",
            NOW - 120_000)), a);
  }

  @Test
  void namesAtMostFiveOfflineDevices() {
    List<FleetResource.Device> devices = List.of("d1", "d2", "d3", "d4", "d5", "d6", "d7").stream()
        .map(id -> device(id, "pi-3b", false, NOW)).toList();
    assertEquals("7 of 7 device(s) offline: d1, d2, d3, d4, d5 and 2 more",
        of(List.of(), devices, List.of(), List.of(), Optional.empty()).get(0).message());
  }

  @Test
  void aFailedJobOrAbortedRolloutAlarmsUntilALaterOneOfTheProfileExists() {
    List<Alarm> a = of(List.of(), List.of(),
        List.of(job("old", "pi-4b", 1, "FAILED"), job("new", "pi-4b", 2, "SUCCEEDED"), job("j5", "pi-5", 3, "FAILED")),
        List.of(rollout("r1", "pi-4b", Rollout.State.ABORTED, "stage 1: p95 over"),
            rollout("r2", "pi-4b", Rollout.State.PAUSED, "paused: operator"),
            rollout("r3", "pi-5", Rollout.State.ABORTED, "aborted by operator")),
        Optional.empty());
    assertEquals(List.of(
        new Alarm(Alarm.Severity.WARNING, Alarm.Kind.ROLLOUT_ABORTED, "r3",
            "rollout of version 2 (from 1) aborted at stage 1 of 0: aborted by operator", 0),
        new Alarm(Alarm.Severity.WARNING, Alarm.Kind.JOB_FAILED, "j5",
            "compression job for pi-5 failed: FINE_TUNING: loss is NaN", 3),
        new Alarm(Alarm.Severity.INFO, Alarm.Kind.ROLLOUT_PAUSED, "r2",
            "rollout of version 2 (from 1) paused at stage 1 of 0 (paused: operator)", 0)), a);
  }

  @Test
  void aProfileWhoseJobsThePlannerHoldsAlarmsWithTheReason() {
    ProfileSpec spec = new ProfileSpec("pi-3b", 4, 1L << 32, 21_000, 1L << 30, "test", 1.0);
    FleetResource.Profile held = new FleetResource.Profile(spec, 21.0,
        new LatencyFit.Estimate(0, 1, 0, 0, LatencyFit.Source.PRIOR), Optional.empty(), 1, 1, false, 1,
        "version 2 was rolled back");
    assertEquals(List.of(new Alarm(Alarm.Severity.WARNING, Alarm.Kind.PLANNER_HELD, "pi-3b",
        "no more automatic compression jobs: version 2 was rolled back", 0)),
        of(List.of(held), List.of(), List.of(), List.of(), Optional.empty()));
    assertEquals(List.of(), of(List.of(profile("pi-3b", 21.0, Optional.of(20.0))), List.of(), List.of(), List.of(),
        Optional.empty()), "no hold, within the SLO: no alarm");
  }

  @Test
  void theBridgeAlarmsWhenItsOldestMessageWaitsPastTheThresholdOrAConnectionIsDown() {
    assertEquals(List.of(), of(List.of(), List.of(), List.of(), List.of(), Optional.of(bridge(3, 4_999, 2))));
    List<Alarm> a = of(List.of(), List.of(), List.of(), List.of(), Optional.of(bridge(3, 12_000, 1)));
    assertEquals(List.of(
        new Alarm(Alarm.Severity.CRITICAL, Alarm.Kind.BRIDGE_WAITING_FOR_KAFKA, "bridge",
            "3 message(s) waiting for Kafka, the oldest for 12.0 s (Kafka connection down); last error: Kafka unreachable",
            NOW - 12_000),
        new Alarm(Alarm.Severity.CRITICAL, Alarm.Kind.BRIDGE_MQTT_DISCONNECTED, "bridge",
            "1 of 2 MQTT connection(s) up: device messages wait in the broker; last error: Kafka unreachable", 0)), a);
  }

  @Test
  void aFailedJobWithoutDetailNamesItsPhase() {
    FleetResource.Job j = new FleetResource.Job("j1", "pi-4b", "test", 1, "FAILED", "PRUNING", 10, "", "", 0, 0, 0, 0,
        0, 0, Optional.empty(), Optional.empty(), false, Map.of());
    assertEquals("compression job for pi-4b failed: no detail reported (phase PRUNING)",
        of(List.of(), List.of(), List.of(j), List.of(), Optional.empty()).get(0).message());
  }

  @Test
  void replayAndPlanningAreInformation() {
    List<Alarm> a = alarms.of(new Alarms.Facts(NOW, List.of(), List.of(), List.of(), List.of(), Optional.empty(), false,
        "no base model configured (fwi.compression.base-model)"));
    assertEquals(List.of(Alarm.Kind.FLEET_REPLAYING, Alarm.Kind.PLANNING_UNAVAILABLE), a.stream().map(Alarm::kind).toList());
    assertEquals(List.of(Alarm.Severity.INFO, Alarm.Severity.INFO), a.stream().map(Alarm::severity).toList());
  }
}
