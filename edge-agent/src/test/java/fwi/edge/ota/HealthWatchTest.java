package fwi.edge.ota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.edge.inference.ModelInfo;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HealthWatchTest {
  private static final ModelInfo OLD = new ModelInfo("old", 1, "a".repeat(64));
  private static final ModelInfo NEW = new ModelInfo("new", 2, "b".repeat(64));
  private static final long MS = 1_000_000;
  private final HealthWatch watch = new HealthWatch(OtaSettings.builder().healthWindowInferences(20)
      .healthWindowMs(60_000).healthMaxErrorRatio(0.1).smokeLatencyBudgetMs(50).healthLatencyFactor(2).build());

  @Test
  void passesAWindowThatEndsOnTimeWithTooFewInferencesToJudge() {
    watch.arm(NEW, 0);
    for (int i = 0; i < 4; i++) {
      assertEquals(Optional.empty(), watch.record(NEW, MS, i % 2 == 0));
    }

    assertEquals(Optional.empty(), watch.poll(60_000));
    assertFalse(watch.watching());
  }

  @Test
  void judgesAWindowThatEndsOnTimeWithEnoughInferences() {
    watch.arm(NEW, 0);
    for (int i = 0; i < 5; i++) {
      watch.record(NEW, MS, i != 0);
    }
    assertEquals(Optional.empty(), watch.poll(59_999));

    HealthWatch.Failure f = watch.poll(60_000).orElseThrow();

    assertEquals(NEW, f.model());
    assertEquals("error ratio must be at most 0.100, but 1 of 5 inferences failed (window 20 inferences)", f.detail());
  }

  @Test
  void toleratesLatencyUpToTheBudgetEvenWhenThePreviousModelWasFaster() {
    for (int i = 0; i < 20; i++) {
      watch.record(OLD, MS, true);
    }
    watch.arm(NEW, 0);
    for (int i = 0; i < 20; i++) {
      assertEquals(Optional.empty(), watch.record(NEW, 40 * MS, true));
    }
    assertFalse(watch.watching());
  }

  @Test
  void failsLatencyAboveTheFactorTimesThePreviousP95WhenThatExceedsTheBudget() {
    for (int i = 0; i < 20; i++) {
      watch.record(OLD, 100 * MS, true);
    }
    watch.arm(NEW, 0);
    Optional<HealthWatch.Failure> f = Optional.empty();
    for (int i = 0; i < 20 && f.isEmpty(); i++) {
      f = watch.record(NEW, i < 18 ? 150 * MS : 250 * MS, true);
    }

    assertEquals("p95 latency over 20 inferences must be at most 200.000 ms = max(budget 50 ms, 2.00 x previous p95 "
        + "100.000 ms), but was 250.000 ms", f.orElseThrow().detail());
  }

  @Test
  void ignoresOutcomesOfThePreviousModelDuringTheWindowAndFiresOnce() {
    watch.arm(NEW, 0);
    for (int i = 0; i < 10; i++) {
      assertEquals(Optional.empty(), watch.record(OLD, MS, false));
    }
    assertTrue(watch.watching());
    watch.record(NEW, MS, false);
    watch.record(NEW, MS, false);
    assertTrue(watch.record(NEW, MS, false).isPresent());
    assertEquals(Optional.empty(), watch.record(NEW, MS, false));
  }
}
