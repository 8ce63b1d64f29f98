package fwi.cloud.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.rollout.Rollout;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HoldRulesTest {
  private static Rollout.Status rollout(String id, String profile, long to, Rollout.State state, String reason) {
    return new Rollout.Status(id, profile, 1, to, state, 1, List.of(), Map.of(), reason);
  }

  @Test
  void aJobThatMakesAnAbortedVersionAgainIsNotRolledOutAgain() {
    List<Rollout.Status> rollouts = List.of(
        rollout("pi-3b-v2-1", "pi-3b", 2, Rollout.State.ABORTED, "stage 1: p95 42.0 ms above 21.0 ms"),
        rollout("pi-4b-v2-2", "pi-4b", 2, Rollout.State.COMPLETED, ""));
    assertEquals(Optional.of("job j2 made version 2 again (the same bytes), which rollout pi-3b-v2-1 aborted: "
        + "stage 1: p95 42.0 ms above 21.0 ms. The SLO 21.0 ms looks out of reach: change the SLO, register a new "
        + "base model or request a job"), HoldRules.repeatOfAborted("pi-3b", "j2", 2, 21.0, rollouts));
    assertTrue(HoldRules.repeatOfAborted("pi-3b", "j3", 3, 21.0, rollouts).isEmpty(), "a new version rolls out");
    assertTrue(HoldRules.repeatOfAborted("pi-4b", "j4", 2, 150.0, rollouts).isEmpty(),
        "another profile's version 2 completed: not a repeat");
  }

  @Test
  void theFastestModelRolledBackHoldsButALessPrunedOneDoesNot() {
    List<Rollout.Status> aborted = List.of(rollout("r1", "pi-3b", 2, Rollout.State.ABORTED, "stage 1: p95 over"));
    HoldRules.JobModel fastest = new HoldRules.JobModel("j1", 2, true, 10.5, 20.2);
    assertEquals(Optional.of("version 2, pruned by job j1 at the maximum ratio 0.90 (fwi.compression.max-ratio) "
            + "because its target 10.5 ms was predicted out of reach (20.2 ms), was rolled back by rollout r1: stage 1: "
            + "p95 over. Change the SLO, register a new base model or request a job"),
        HoldRules.fastestRolledBack("pi-3b", Optional.of(fastest), aborted, 0.9));
    HoldRules.JobModel partial = new HoldRules.JobModel("j1", 2, false, 10.5, 10.1);
    assertTrue(HoldRules.fastestRolledBack("pi-3b", Optional.of(partial), aborted, 0.9).isEmpty(),
        "a job that could still prune deeper (the fit learnt the miss) is tried again");
    assertTrue(HoldRules.fastestRolledBack("pi-3b", Optional.of(fastest),
        List.of(rollout("r1", "pi-3b", 2, Rollout.State.RUNNING, "")), 0.9).isEmpty(), "still running");
    assertTrue(HoldRules.fastestRolledBack("pi-3b", Optional.of(fastest), List.of(aborted.get(0),
        rollout("r2", "pi-3b", 3, Rollout.State.COMPLETED, "")), 0.9).isEmpty(), "a later rollout superseded it");
    assertTrue(HoldRules.fastestRolledBack("pi-3b", Optional.empty(), aborted, 0.9).isEmpty(), "no job yet");
  }
}
