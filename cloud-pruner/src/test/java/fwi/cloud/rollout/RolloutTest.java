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
    return new Rollout("r1", "pi-4b", 1, 2, 100, 200, 150, TEN, S); // version 1 at p95 150 ms when it begins
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
    Rollout r = new Rollout("r1", "pi-4b", 1, 2, 100, 200, 150, TEN,
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

  /** The devices d1..d9, still on version 1, report one window each at {@code t} with this p95. */
  static void control(Rollout r, long t, double p95Ms) {
    for (String d : TEN.subList(1, TEN.size())) {
      r.onTelemetry(d, t, 1, 2, 0, p95Ms);
    }
  }

  @Test
  void aFleetSlowedDownAlikeDoesNotFailTheNewModel() {
    Rollout r = rollout();
    r.start(0);
    r.onUpdateEnded("d0", 2, true, "", 1_000);
    r.onTelemetry("d0", 1_000, 2, 20, 0, 180); // above 125 ms ...
    control(r, 1_000, 300); // ... but the old model went from 150 to 300 ms meanwhile: 2x, limit 250 ms
    r.tick(1_000);
    List<Action> a = r.tick(6_000);
    assertEquals(List.of(new Action.Target(List.of("d0", "d1", "d2", "d3", "d4"))), a, r.status().toString());
    Rollout.StageStatus s = r.status().stages().get(0);
    assertEquals("passed under load: p95 180.0 ms above 125.0 ms (min of SLO 200.0 ms and predicted 100.0 ms + 25 %), "
        + "but devices still on version 1 measured p95 300.0 ms meanwhile, 2.00x their 150.0 ms when the rollout "
        + "began: limit scaled to 250.0 ms; errors 0.000", s.gate());
    assertEquals(18, s.controlInferences());
    assertEquals(300, s.controlP95Ms(), 1e-9);
  }

  @Test
  void aModelSlowerThanTheLoadExplainsStillFails() {
    Rollout r = rollout();
    r.start(0);
    r.onUpdateEnded("d0", 2, true, "", 1_000);
    r.onTelemetry("d0", 1_000, 2, 20, 0, 180);
    control(r, 1_000, 165); // 1.1x: the limit would be 137.5 ms
    r.tick(1_000);
    Action.Rollback rb = (Action.Rollback) r.tick(6_000).get(0);
    assertEquals("stage 1: p95 180.0 ms above 125.0 ms (min of SLO 200.0 ms and predicted 100.0 ms + 25 %); devices "
        + "still on version 1 measured p95 165.0 ms meanwhile, 1.10x their 150.0 ms when the rollout began, which does "
        + "not explain it", rb.reason());
    assertEquals(Rollout.State.ABORTED, r.state());
  }

  @Test
  void withoutABaselineOrEnoughControlTheLimitHolds() {
    Rollout noBaseline = new Rollout("r1", "pi-4b", 1, 2, 100, 200, 0, TEN, S);
    Rollout fewControl = rollout();
    for (Rollout r : List.of(noBaseline, fewControl)) {
      r.start(0);
      r.onUpdateEnded("d0", 2, true, "", 1_000);
      r.onTelemetry("d0", 1_000, 2, 20, 0, 180);
    }
    control(noBaseline, 1_000, 300);
    fewControl.onTelemetry("d1", 1_000, 1, 9, 0, 300); // one short of the 10 inferences a gate needs
    for (Rollout r : List.of(noBaseline, fewControl)) {
      r.tick(1_000);
      Action.Rollback rb = (Action.Rollback) r.tick(6_000).get(0);
      assertEquals("stage 1: p95 180.0 ms above 125.0 ms (min of SLO 200.0 ms and predicted 100.0 ms + 25 %)",
          rb.reason());
    }
  }

  @Test
  void eachGateJudgesWhatItsStageSaw() {
    Rollout r = rollout();
    r.start(0);
    r.onUpdateEnded("d0", 2, true, "", 1_000);
    r.onTelemetry("d0", 1_000, 2, 10, 0, 120);
    control(r, 1_000, 150);
    r.tick(1_000);
    r.tick(6_000); // stage 1 passes at 120 ms; stage 2 begins at 6,000
    r.onTelemetry("d0", 5_000, 2, 50, 0, 500); // a late window of stage 1's time: not stage 2's
    control(r, 5_500, 900); // the old model's, before stage 2: not its control
    control(r, 1_000, 900); // a replay
    for (String d : List.of("d1", "d2", "d3", "d4")) {
      r.onUpdateEnded(d, 2, true, "", 7_000);
      r.onTelemetry(d, 7_000, 2, 5, 0, 100);
    }
    r.onTelemetry("d0", 7_000, 2, 5, 0, 110);
    r.onTelemetry("d9", 7_000, 1, 4, 0, 140);
    Rollout.StageStatus one = r.status().stages().get(0);
    Rollout.StageStatus two = r.status().stages().get(1);
    assertEquals(List.of(10L, 120.0, 18L, 150.0), List.of(one.inferences(), one.p95Ms(), one.controlInferences(),
        one.controlP95Ms()), "stage 1 keeps what it saw");
    assertEquals(List.of(25L, 102.0, 4L, 140.0), List.of(two.inferences(), two.p95Ms(), two.controlInferences(),
        two.controlP95Ms()));
    r.tick(7_000);
    assertEquals(2, r.tick(12_000).size(), "stage 2 passes on its own windows; stage 3 begins");
    assertTrue(r.status().stages().get(1).gate().startsWith("passed: p95 102.0 ms"), r.status().toString());
  }

  @Test
  void aSnapshotStoredBeforeStageTalliesRestores() {
    Rollout r = rollout();
    r.start(0);
    r.onUpdateEnded("d0", 2, true, "", 1_000);
    r.onTelemetry("d0", 1_000, 2, 10, 0, 110);
    Rollout.Snapshot s = r.snapshot();
    Rollout.Snapshot old = new Rollout.Snapshot(s.id(), s.profile(), s.fromVersion(), s.toVersion(),
        s.predictedP95Ms(), s.sloMs(), s.settings(), s.order(), s.state(), s.stage(), s.stageStartMs(),
        s.settledAtMs(), s.otaFailures(), s.reason(), s.gates(), s.devices(), 0, null);
    Rollout back = Rollout.restore(old);
    assertEquals(0, back.status().stages().get(0).inferences(), "the stage waits for fresh telemetry");
    back.onTelemetry("d0", 2_000, 2, 10, 0, 110);
    back.tick(2_000);
    assertEquals(1, back.tick(7_000).size(), "and then goes on");
  }

  @Test
  void theLastStageUsesTheLoadItsPredecessorMeasured() {
    Rollout r = new Rollout("r1", "pi-4b", 1, 2, 100, 200, 150, TEN,
        new RolloutSettings(List.of(0.5, 1.0), 10_000, 5_000, 10, 0, 0.05, 0.25));
    r.start(0);
    for (String d : TEN.subList(0, 5)) {
      r.onUpdateEnded(d, 2, true, "", 1_000);
      r.onTelemetry(d, 1_000, 2, 4, 0, 110);
    }
    for (String d : TEN.subList(5, 10)) {
      r.onTelemetry(d, 1_000, 1, 4, 0, 300); // the old model at 2x its 150 ms
    }
    r.tick(1_000);
    r.tick(6_000); // stage 1 passes; stage 2 takes every device: no control left
    for (String d : TEN) {
      r.onUpdateEnded(d, 2, true, "", 7_000);
      r.onTelemetry(d, 7_000, 2, 4, 0, 180);
    }
    r.tick(7_000);
    r.tick(12_000);
    assertEquals(Rollout.State.COMPLETED, r.state(), r.status().toString());
    assertTrue(r.status().stages().get(1).gate().contains("measured p95 300.0 ms during stage 1, 2.00x"),
        r.status().stages().get(1).gate());
  }
}
