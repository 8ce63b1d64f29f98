package fwi.edge.inference;

import fwi.runtime.ort.RunnerOptions;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * The agent's one {@link Inference}, configured from {@link InferenceConfig}; bad settings stop the
 * agent at start naming key and value. Which model it serves is decided by the OTA side
 * ({@code fwi.edge.ota}), which installs the stored active model at start.
 */
@ApplicationScoped
public class InferenceService {
  private final Inference inference;
  private final RunnerOptions runnerOptions;
  private final int warmupRuns;

  InferenceService(InferenceConfig config) {
    int threads = config.ortThreads();
    if (threads < 0) {
      throw new IllegalArgumentException("fwi.inference.ort-threads must be 0 (one per core) or more, but was " + threads);
    }
    if (config.warmupRuns() < 0) {
      throw new IllegalArgumentException("fwi.inference.warmup-runs must be at least 0, but was " + config.warmupRuns());
    }
    if (config.latencyWindow() < 1) {
      throw new IllegalArgumentException("fwi.inference.latency-window must be at least 1, but was "
          + config.latencyWindow());
    }
    this.runnerOptions = new RunnerOptions(threads == 0 ? Runtime.getRuntime().availableProcessors() : threads,
        config.ortSpinning());
    this.warmupRuns = config.warmupRuns();
    this.inference = new Inference(config.maxWaiting(), config.maxInputBytes(), config.latencyWindow());
  }

  public Inference inference() {
    return inference;
  }

  /** Session options every model of this agent is opened with. */
  public RunnerOptions runnerOptions() {
    return runnerOptions;
  }

  public int warmupRuns() {
    return warmupRuns;
  }

  void stop(@Observes ShutdownEvent e) {
    inference.close();
  }
}
