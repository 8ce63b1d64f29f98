package fwi.cloud.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.rollout.Rollout.Action;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RolloutTest {
  static final RolloutSettings S = new RolloutSettings(List.of(0.1, 0.5, 1.0), 10_000, 5_000, 10, 0, 0.05, 0.25);
  static final List<String> TEN = List.of("d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9");

  static Rollout rollout() {
    return new Rollout("r1", "pi-4b", 1, 2, 100, 200, TEN, S);
  }

  /** Stage devices install and report healthy telemetry; then the gate is evaluated after observation. */
  static List<Action> passStage(Rollout r, List<String> devs, long t) {
    for (String d : devs) {
      r.onUpdateEnded(d, 2, true, "", t);
      r.onTelemetry(d, t, 2, 10, 0, 110);
    }
    r.tick(t);
    return r.tick(t + 5_000);
  }

  @Test
  void walksTheStagesAndEndsProfileWide() {
    Rollout r = rollout();
    assertEquals(List.of(new Action.Target(List.of("d0"))), r.start(0));
    List<Action> a = passStage(r, List.of("d0"), 1_000);
    assertEquals(List.of(new Action.Target(List.of("d0", "d1", "d2", "d3", "d4"))), a);
    a = passStage(r, List.of("d1", "d2", "d3", "d4"), 10_000);
    assertEquals(2, a.size());
    assertEquals(new Action.ProfileWide(), a.get(1));
    passStage(r, List.of("d5", "d6", "d7", "d8", "d9"), 20_000);
    assertEquals(Rollout.State.COMPLETED, r.state());
    assertTrue(r.status().stages().get(2).gate().startsWith("passed: p95 110.0 ms <= 125.0 ms"));
  }

  @Test
  void aFailedUpdateAtTheCanaryAbortsBeforeAnyoneElseGetsIt() {
    Rollout r = rollout();
    r.start(0);
    List<Action> a = r.onUpdateEnded("d0", 2, false, "ROLLED_BACK SMOKE_TEST_OUTPUT_INVALID", 1_000);
    assertEquals(List.of(new Action.Rollback(List.of(), "update failed on d0: ROLLED_BACK SMOKE_TEST_OUTPUT_INVALID")), a);
    assertEquals(Rollout.State.ABORTED, r.state());
    assertEquals(Rollout.DeviceState.WAITING, r.status().devices().get("d5"));
    assertEquals(List.of(), r.tick(100_000));
  }

  @Test
  void aSlowModelFailsTheGateAndIsRolledBackWhereInstalled() {
    Rollout r = rollout();
    r.start(0);
    r.onUpdateEnded("d0", 2, true, "", 1_000);
    r.onTelemetry("d0", 1_000, 2, 20, 0, 180); // under the SLO (200) but far above the prediction (100 + 25 %)
    r.tick(1_000);
    List<Action> a = r.tick(6_000);
    assertEquals(1, a.size());
    Action.Rollback rb = (Action.Rollback) a.get(0);
    assertEquals(List.of("d0"), rb.devices());
    assertEquals("stage 1: p95 180.0 ms above 125.0 ms (min of SLO 200.0 ms and predicted 100.0 ms + 25 %)", rb.reason());
    assertEquals(Rollout.DeviceState.ROLLED_BACK, r.status().devices().get("d0"));
  }

  @Test
  void unreachableDevicesTimeOutAndTheStageGoesOnWithTheRest() {
    Rollout r = rollout();
    r.start(0);
    passStage(r, List.of("d0"), 1_000);
    for (String d : List.of("d1", "d2", "d3")) {
      r.onUpdateEnded(d, 2, true, "", 11_000);
      r.onTelemetry(d, 11_000, 2, 10, 0, 100);
    }
    assertEquals(List.of(), r.tick(12_000), "d4 has not answered yet");
    r.tick(1_000 + 10_000 + 1); // install timeout of stage 2 (entered at t = 6,000): d4 unreachable at 16,000
    r.tick(16_000);
    List<Action> a = r.tick(21_000);
    assertEquals(2, a.size(), "stage 3 starts");
    assertEquals(Rollout.DeviceState.UNREACHABLE, r.status().devices().get("d4"));
  }

  @Test
  void aPausedRolloutStartsNoNewStageUntilResumed() {
    Rollout r = rollout();
    r.start(0);
    for (String d : List.of("d0")) {
      r.onUpdateEnded(d, 2, true, "", 1_000);
      r.onTelemetry(d, 1_000, 2, 10, 0, 100);
    }
    r.pause("night shift");
    assertEquals(List.of(), r.tick(10_000));
    assertEquals("paused: night shift", r.reason().orElseThrow());
    r.resume();
    r.tick(10_000);
    List<Action> a = new ArrayList<>(r.tick(15_000));
    assertEquals(new Action.Target(List.of("d0", "d1", "d2", "d3", "d4")), a.get(0));
  }

  @Test
  void tooFewInferencesKeepTheGateClosed() {
    Rollout r = rollout();
    r.start(0);
    r.onUpdateEnded("d0", 2, true, "", 1_000);
    r.onTelemetry("d0", 1_000, 2, 3, 0, 100);
    r.tick(1_000);
    assertEquals(List.of(), r.tick(100_000));
    assertEquals(Rollout.State.RUNNING, r.state());
  }
  @Test
  void aRestoredRolloutCarriesOnWhereTheStoredOneWas() {
    Rollout r = rollout();
    r.start(0);
    passStage(r, List.of("d0"), 1_000); // stage 2 entered at 6,000
    r.onUpdateEnded("d1", 2, true, "", 7_000);
    r.onTelemetry("d1", 7_000, 2, 10, 0, 100);
    Rollout.Snapshot stored = r.snapshot();

    Rollout back = Rollout.restore(stored);
    assertEquals(r.status(), back.status());
    assertEquals(stored, back.snapshot());
    assertEquals(List.of(new Action.Target(List.of("d0", "d1", "d2", "d3", "d4"))), back.republish(),
        "the current stage is published again: the service may have stopped before it was");
    // Both go on identically.
    for (Rollout x : List.of(r, back)) {
      passStage(x, List.of("d2", "d3", "d4"), 8_000);
    }
    assertEquals(r.status(), back.status());
    assertEquals(3, back.status().stage());
  }

  @Test
  void replayedTelemetryAndFailuresCountOnce() {
    Rollout r = new Rollout("r1", "pi-4b", 1, 2, 100, 200, TEN,
        new RolloutSettings(List.of(0.1, 0.5, 1.0), 10_000, 5_000, 10, 1, 0.05, 0.25));
    r.start(0);
    r.onTelemetry("d0", 1_000, 2, 6, 0, 100);
    r.onTelemetry("d0", 1_000, 2, 6, 0, 100); // the same window again, as after a restart
    r.onTelemetry("d0", 900, 2, 6, 0, 100); // an older one
    assertEquals(6, r.status().stages().get(0).inferences());
    r.onTelemetry("d0", 2_000, 2, 6, 0, 100);
    assertEquals(12, r.status().stages().get(0).inferences());

    r.tick(2_000);
    r.tick(7_000); // stage 2
    assertEquals(List.of(), r.onUpdateEnded("d1", 2, false, "FAILED DIGEST", 8_000));
    assertEquals(List.of(), r.onUpdateEnded("d1", 2, false, "FAILED DIGEST", 8_000),
        "one device's failure, replayed, must not count as a second (max 1 tolerated)");
    assertEquals(Rollout.State.RUNNING, r.state());
  }

  @Test
  void anAbortedRolloutRepublishesItsRollback() {
    Rollout r = rollout();
    r.start(0);
    r.onUpdateEnded("d0", 2, true, "", 1_000);
    r.abort("operator", 2_000);
    assertEquals(List.of(new Action.Rollback(List.of("d0"), "operator")), Rollout.restore(r.snapshot()).republish());
  }
}
