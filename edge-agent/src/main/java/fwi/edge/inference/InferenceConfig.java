package fwi.edge.inference;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/** How the agent runs its model ({@code fwi.inference.*}). Checked at start-up by {@link InferenceService}. */
@ConfigMapping(prefix = "fwi.inference")
public interface InferenceConfig {
  /**
   * ONNX Runtime intra-op threads per session run; 0 means one per CPU core the JVM sees. InversionNet
   * is compute-bound, so more threads than cores only adds contention.
   */
  @WithName("ort-threads")
  @WithDefault("0")
  int ortThreads();

  /**
   * Whether idle ONNX Runtime threads spin-wait for work after each operator and run. Off by default:
   * on a Pi that infers now and then, spinning burns power and heat for microseconds of latency.
   */
  @WithName("ort-spinning")
  @WithDefault("false")
  boolean ortSpinning();

  /** Runs on a zero input before a model starts serving, so the first real request does not pay ORT's lazy set-up. */
  @WithName("warmup-runs")
  @WithDefault("3")
  int warmupRuns();

  /** Inferences the local percentiles (page, health watch) are computed over. */
  @WithName("latency-window")
  @WithDefault("512")
  int latencyWindow();

  /**
   * Inputs allowed to wait while one runs. Runs are serialized (one session run uses every core); an
   * input arriving when this many already wait is refused and counted as dropped.
   */
  @WithName("max-waiting")
  @WithDefault("8")
  int maxWaiting();

  /** Largest accepted input, bytes of float32 data (one InversionNet sample is 1.4 MB). */
  @WithName("max-input-bytes")
  @WithDefault("33554432")
  long maxInputBytes();
}
