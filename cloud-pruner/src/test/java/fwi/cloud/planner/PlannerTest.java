package fwi.cloud.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.fleet.FleetState.ProfileLatency;
import fwi.cloud.profile.LatencyFit;
import fwi.cloud.profile.ProfileSpec;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PlannerTest {
  static final ProfileSpec PI4 = new ProfileSpec("pi-4b", 4, 4L << 30, 200_000, 1L << 30, "", 5);
  static final LatencyFit.Estimate FIT = new LatencyFit.Estimate(10, 5, 1, 0.0, LatencyFit.Source.FITTED);
  static final PlannerSettings S = new PlannerSettings(60_000, 0.9, 300_000, 0.8, 10);

  static Optional<ProfileLatency> p95(double ms) {
    return Optional.of(new ProfileLatency("pi-4b", 2, 100, ms / 2, ms, 0, Map.of()));
  }

  @Test
  void startsAJobOnlyAfterTheBreachLastsItsWindow() {
    Planner p = new Planner(S);
    assertTrue(p.evaluate(PI4, p95(250), FIT, 0).isEmpty());
    assertTrue(p.evaluate(PI4, p95(250), FIT, 59_999).isEmpty());
    Planner.Decision d = p.evaluate(PI4, p95(250), FIT, 60_000).orElseThrow();
    assertEquals(Planner.Trigger.SLO_BREACH, d.trigger());
    assertEquals(160.0, d.targetProfileMs(), 1e-9);
    // invert the fit: (160 - 10) / 5
    assertEquals(30.0, d.targetReferenceMs(), 1e-9);
    assertTrue(p.jobRunning("pi-4b"));
    assertTrue(p.evaluate(PI4, p95(250), FIT, 120_000).isEmpty(), "never two jobs at once");
  }

  @Test
  void hysteresisKeepsABreachAliveJustBelowTheSlo() {
    Planner p = new Planner(S);
    p.evaluate(PI4, p95(250), FIT, 0);
    p.evaluate(PI4, p95(195), FIT, 30_000); // below the SLO but above 90 % of it: still the same breach
    assertTrue(p.evaluate(PI4, p95(210), FIT, 60_000).isPresent());
    Planner q = new Planner(S);
    q.evaluate(PI4, p95(250), FIT, 0);
    q.evaluate(PI4, p95(170), FIT, 30_000); // below 90 %: the breach clears
    assertTrue(q.evaluate(PI4, p95(210), FIT, 60_000).isEmpty());
  }

  @Test
  void coolsDownAfterAJob() {
    Planner p = new Planner(S);
    p.evaluate(PI4, p95(250), FIT, 0);
    p.evaluate(PI4, p95(250), FIT, 60_000).orElseThrow();
    p.jobEnded("pi-4b", 100_000);
    p.evaluate(PI4, p95(250), FIT, 100_000);
    assertTrue(p.evaluate(PI4, p95(250), FIT, 399_999).isEmpty(), "within the cool-down");
    assertTrue(p.evaluate(PI4, p95(250), FIT, 400_000).isPresent());
  }

  @Test
  void aHeldProfileStartsNoSloJobUntilARequestLiftsTheHold() {
    Planner p = new Planner(S);
    p.hold("pi-4b", "version 2 at the maximum ratio was rolled back");
    p.hold("pi-4b", "a later reason");
    assertEquals(Optional.of("version 2 at the maximum ratio was rolled back"), p.held("pi-4b"), "the first reason stays");
    p.evaluate(PI4, p95(250), FIT, 0);
    assertTrue(p.evaluate(PI4, p95(250), FIT, 600_000).isEmpty(), "held: the breach lasts, but no job");
    assertEquals(Optional.empty(), p.held("pi-5"));
    p.request(PI4, Planner.Trigger.REQUEST, p95(250), FIT, "operator");
    assertEquals(Optional.empty(), p.held("pi-4b"), "a requested job lifts the hold");
    p.jobEnded("pi-4b", 600_000);
    p.evaluate(PI4, p95(250), FIT, 900_000);
    assertTrue(p.evaluate(PI4, p95(250), FIT, 960_000).isPresent(), "SLO-triggered jobs again after the cool-down");
  }

  @Test
  void ignoresProfilesWithTooLittleTelemetry() {
    Planner p = new Planner(S);
    Optional<ProfileLatency> few = Optional.of(new ProfileLatency("pi-4b", 1, 3, 100, 300, 0, Map.of()));
    p.evaluate(PI4, few, FIT, 0);
    assertTrue(p.evaluate(PI4, few, FIT, 120_000).isEmpty());
  }

  @Test
  void aRequestIsRefusedWhileAJobRuns() {
    Planner p = new Planner(S);
    p.request(PI4, Planner.Trigger.REQUEST, Optional.empty(), FIT, "operator");
    assertEquals("a compression job for profile pi-4b is already running", assertThrows(IllegalStateException.class,
        () -> p.request(PI4, Planner.Trigger.NEW_BASE_MODEL, Optional.empty(), FIT, "new base")).getMessage());
  }
}
