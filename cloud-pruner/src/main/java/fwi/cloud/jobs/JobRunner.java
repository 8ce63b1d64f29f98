package fwi.cloud.jobs;

import fwi.proto.v1.ModelRef;
import fwi.proto.v1.PruneJob;
import fwi.proto.v1.PruneJobReport;
import fwi.proto.v1.PruneJobState;
import fwi.proto.v1.PrunePhase;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Runs compression jobs asynchronously, at most {@code concurrency} at once (training takes every core
 * it gets; more jobs in parallel only slow each other), the rest QUEUED in submission order. Every
 * progress report is stored ({@link JobStore}) and handed to listeners (the {@code fwi.jobs} topic, the
 * API). Thread-safe.
 */
public final class JobRunner implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(JobRunner.class);

  /** What a job does; reports progress through {@code progress} and returns the registered model. */
  public interface Work {
    ModelRef run(PruneJob job, Progress progress) throws Exception;
  }

  /** Progress of a running job. */
  public interface Progress {
    /** Enters {@code phase} (or, already in it, moves on) at {@code percent} of the whole job. */
    void phase(PrunePhase phase, double percent);

    /** Adds figures (params, MACs, quality, latency) to the report. */
    void figures(PruneJobReport.Builder figures);
  }

  /** Hears every stored report. */
  public interface Listener {
    void onReport(PruneJob job, PruneJobReport report);
  }

  private final JobStore store;
  private final ExecutorService pool;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  /** @throws IllegalArgumentException if {@code concurrency} is not in [1, 16] */
  public JobRunner(JobStore store, int concurrency) {
    if (concurrency < 1 || concurrency > 16) {
      throw new IllegalArgumentException("job concurrency must be in [1, 16], but was " + concurrency);
    }
    this.store = store;
    AtomicInteger n = new AtomicInteger();
    this.pool = Executors.newFixedThreadPool(concurrency, r -> {
      Thread t = new Thread(r, "fwi-job-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  public void addListener(Listener l) {
    listeners.add(l);
  }

  /**
   * Stores {@code job} as QUEUED and runs it when a slot is free.
   *
   * @return completes with the final report (SUCCEEDED or FAILED)
   */
  public CompletableFuture<PruneJobReport> submit(PruneJob job, Work work) throws IOException {
    store.add(job);
    publish(job, store.get(job.getJobId()).orElseThrow().report());
    return CompletableFuture.supplyAsync(() -> execute(job, work), pool);
  }

  private PruneJobReport execute(PruneJob job, Work work) {
    long t0 = System.currentTimeMillis();
    PruneJobReport.Builder r = PruneJobReport.newBuilder().setJobId(job.getJobId())
        .setState(PruneJobState.PRUNE_JOB_STATE_RUNNING).setPhase(PrunePhase.PRUNE_PHASE_PLANNING);
    save(job, r);
    long[] phaseStart = {t0};
    Progress p = new Progress() {
      @Override
      public void phase(PrunePhase phase, double percent) {
        checkCancelled();
        synchronized (r) {
          if (phase != r.getPhase()) {
            long now = System.currentTimeMillis();
            r.addPhaseTimingsBuilder().setPhase(r.getPhase()).setWallTimeMs(now - phaseStart[0]);
            phaseStart[0] = now;
          }
          r.setPhase(phase).setProgressPercent(Math.max(0, Math.min(100, percent)));
          save(job, r);
        }
      }

      @Override
      public void figures(PruneJobReport.Builder figures) {
        synchronized (r) {
          r.mergeFrom(figures.setJobId(job.getJobId()).clearState().clearPhase().clearProgressPercent().build());
          save(job, r);
        }
      }
    };
    try {
      ModelRef model = work.run(job, p);
      synchronized (r) {
        r.addPhaseTimingsBuilder().setPhase(r.getPhase()).setWallTimeMs(System.currentTimeMillis() - phaseStart[0]);
        r.setState(PruneJobState.PRUNE_JOB_STATE_SUCCEEDED).setProgressPercent(100).setResultingModel(model);
        return save(job, r);
      }
    } catch (java.util.concurrent.CancellationException e) {
      LOG.infof("job %s of profile %s stopped: %s", job.getJobId(), job.getProfile().getName(), e.getMessage());
      Thread.interrupted(); // the store's file channel refuses to write on an interrupted thread
      synchronized (r) {
        r.setState(PruneJobState.PRUNE_JOB_STATE_FAILED).setErrorDetail(r.getPhase().name().replace("PRUNE_PHASE_", "")
            + ": " + e.getMessage());
        return save(job, r);
      }
    } catch (Exception | Error e) {
      LOG.errorf(e, "job %s of profile %s failed", job.getJobId(), job.getProfile().getName());
      Thread.interrupted();
      synchronized (r) {
        r.setState(PruneJobState.PRUNE_JOB_STATE_FAILED).setErrorDetail(r.getPhase().name().replace("PRUNE_PHASE_", "")
            + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        return save(job, r);
      }
    }
  }

  private PruneJobReport save(PruneJob job, PruneJobReport.Builder r) {
    PruneJobReport report = r.build();
    try {
      store.update(report);
    } catch (IOException e) {
      LOG.errorf(e, "job %s: report not stored", job.getJobId());
    }
    publish(job, report);
    return report;
  }

  private void publish(PruneJob job, PruneJobReport report) {
    for (Listener l : listeners) {
      try {
        l.onReport(job, report);
      } catch (RuntimeException e) {
        LOG.errorf(e, "job listener failed on %s", job.getJobId());
      }
    }
  }

  /**
   * Throws if the running job's thread was interrupted ({@link #close()}): work calls it (through
   * {@link Progress#phase}) between steps, so a job stops at its next step rather than in the middle of
   * native code (ONNX Runtime, libtorch) that the JVM cannot interrupt.
   *
   * @throws java.util.concurrent.CancellationException if the job must stop
   */
  public static void checkCancelled() {
    if (Thread.currentThread().isInterrupted()) {
      throw new java.util.concurrent.CancellationException("cancelled: the service is shutting down");
    }
  }

  /**
   * Cancels queued and running jobs and waits up to 60 s for running ones to reach their next step and
   * stop (a training step or a latency measurement is native code and runs to its end). Returning
   * while a job thread is still inside native code would let the JVM exit under it (seen as a crash in
   * ONNX Runtime's session creation), so the wait is long and a job still running is logged.
   */
  @Override
  public void close() {
    pool.shutdownNow();
    try {
      if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
        LOG.warn("a compression job did not stop within 60 s of the shutdown request; it is left running");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
