package fwi.cloud.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.proto.v1.HardwareProfile;
import fwi.proto.v1.ModelRef;
import fwi.proto.v1.PruneJob;
import fwi.proto.v1.PruneJobReport;
import fwi.proto.v1.PruneJobState;
import fwi.proto.v1.PrunePhase;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobRunnerTest {
  @TempDir
  Path dir;

  static PruneJob job(String id) {
    return PruneJob.newBuilder().setJobId(id).setProfile(HardwareProfile.newBuilder().setName("pi-4b")).build();
  }

  @Test
  void runsAJobReportingPhasesAndTheResultingModel() throws Exception {
    JobStore store = JobStore.open(dir);
    List<PruneJobReport> heard = new CopyOnWriteArrayList<>();
    try (JobRunner r = new JobRunner(store, 1)) {
      r.addListener((j, rep) -> heard.add(rep));
      PruneJobReport end = r.submit(job("j1"), (j, p) -> {
        p.phase(PrunePhase.PRUNE_PHASE_PRUNING, 10);
        p.figures(PruneJobReport.newBuilder().setMacsBefore(100).setMacsAfter(25));
        p.phase(PrunePhase.PRUNE_PHASE_FINE_TUNING, 20);
        return ModelRef.newBuilder().setModelId("inv-pi-4b-v2").setVersion(2).build();
      }).get(10, TimeUnit.SECONDS);
      assertEquals(PruneJobState.PRUNE_JOB_STATE_SUCCEEDED, end.getState());
      assertEquals(25, end.getMacsAfter());
      assertEquals(2, end.getResultingModel().getVersion());
      assertEquals(List.of(PrunePhase.PRUNE_PHASE_PLANNING, PrunePhase.PRUNE_PHASE_PRUNING,
          PrunePhase.PRUNE_PHASE_FINE_TUNING), end.getPhaseTimingsList().stream().map(t -> t.getPhase()).toList());
      assertEquals(PruneJobState.PRUNE_JOB_STATE_QUEUED, heard.get(0).getState());
      assertEquals(end, store.get("j1").orElseThrow().report());
    }
  }

  @Test
  void aFailingJobSaysWhereItFailed() throws Exception {
    try (JobRunner r = new JobRunner(JobStore.open(dir), 1)) {
      PruneJobReport end = r.submit(job("j2"), (j, p) -> {
        p.phase(PrunePhase.PRUNE_PHASE_FINE_TUNING, 30);
        throw new IllegalStateException("validation loss is NaN at epoch 3");
      }).get(10, TimeUnit.SECONDS);
      assertEquals(PruneJobState.PRUNE_JOB_STATE_FAILED, end.getState());
      assertEquals("FINE_TUNING: validation loss is NaN at epoch 3", end.getErrorDetail());
    }
  }

  /**
   * A job inside work the JVM cannot interrupt (native training or latency code, here a busy loop
   * that ignores interrupts) is waited for until its next step, where it stops: close must not
   * return while the job thread is still in the middle of it.
   */
  @Test
  void closeWaitsForARunningJobToReachItsNextStepAndRecordsItAsCancelled() throws Exception {
    JobStore store = JobStore.open(dir);
    CountDownLatch inside = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean stepEnded = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.CompletableFuture<PruneJobReport> end;
    try (JobRunner r = new JobRunner(store, 1)) {
      end = r.submit(job("j9"), (j, p) -> {
        p.phase(PrunePhase.PRUNE_PHASE_FINE_TUNING, 20);
        inside.countDown();
        long until = System.nanoTime() + 1_500_000_000L;
        while (System.nanoTime() < until) {
          Thread.onSpinWait(); // "native": does not look at the interrupt flag
        }
        stepEnded.set(true);
        p.phase(PrunePhase.PRUNE_PHASE_FINE_TUNING, 40);
        throw new AssertionError("the job went on after the shutdown request");
      });
      assertTrue(inside.await(10, TimeUnit.SECONDS));
    }
    assertTrue(stepEnded.get(), "close returned while the job was still inside its step");
    PruneJobReport report = end.get(1, TimeUnit.SECONDS);
    assertEquals(PruneJobState.PRUNE_JOB_STATE_FAILED, report.getState());
    assertEquals("FINE_TUNING: cancelled: the service is shutting down", report.getErrorDetail());
    assertEquals(report, store.get("j9").orElseThrow().report());
  }

  @Test
  void runsAtMostTheConfiguredNumberAtOnce() throws Exception {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    CountDownLatch go = new CountDownLatch(1);
    try (JobRunner r = new JobRunner(JobStore.open(dir), 2)) {
      var futures = new java.util.ArrayList<java.util.concurrent.CompletableFuture<PruneJobReport>>();
      for (int i = 0; i < 5; i++) {
        futures.add(r.submit(job("c" + i), (j, p) -> {
          most.accumulateAndGet(running.incrementAndGet(), Math::max);
          go.await(10, TimeUnit.SECONDS);
          running.decrementAndGet();
          return ModelRef.getDefaultInstance();
        }));
      }
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (running.get() < 2 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      go.countDown();
      for (var f : futures) {
        assertEquals(PruneJobState.PRUNE_JOB_STATE_SUCCEEDED, f.get(10, TimeUnit.SECONDS).getState());
      }
      assertEquals(2, most.get());
    }
  }

  @Test
  void aRestartFailsInterruptedJobsClearly() throws Exception {
    JobStore store = JobStore.open(dir);
    store.add(job("j3"));
    store.update(PruneJobReport.newBuilder().setJobId("j3").setState(PruneJobState.PRUNE_JOB_STATE_RUNNING)
        .setPhase(PrunePhase.PRUNE_PHASE_FINE_TUNING).setProgressPercent(40).build());
    JobStore reopened = JobStore.open(dir);
    PruneJobReport r = reopened.get("j3").orElseThrow().report();
    assertEquals(PruneJobState.PRUNE_JOB_STATE_FAILED, r.getState());
    assertEquals("the service restarted while the job was RUNNING in phase FINE_TUNING; its training state is lost, "
        + "start the job again", r.getErrorDetail());
    assertTrue(reopened.get("j3").orElseThrow().job().getProfile().getName().equals("pi-4b"));
  }
}
