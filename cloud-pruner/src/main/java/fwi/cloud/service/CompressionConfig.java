package fwi.cloud.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the fleet service's compression jobs start from and how they train ({@code fwi.compression.*});
 * the same algorithm as {@code pruner compress} ({@link fwi.cloud.train.Compressor}).
 */
@ConfigMapping(prefix = "fwi.compression")
public interface CompressionConfig {
  /**
   * The trained, unpruned InversionNet every profile's models are compressed from. Registered as
   * version 1 of every profile that has no model yet; a different file at a later start is a new
   * base model and plans a job for every profile.
   */
  @WithName("base-model")
  Optional<Path> baseModel();

  /** OpenFWI-layout folder (dataN.npy / modelN.npy) for fine-tuning and evaluation. */
  Optional<Path> dataset();

  /** Train/validation split of the dataset files: auto, openfwi or T,V fractions. */
  @WithDefault("auto")
  String split();

  /**
   * Per-layer latency table of the base model on the reference machine ({@code pruner latency-table});
   * default: measured at start into the state directory and kept per base model.
   */
  @WithName("latency-table")
  Optional<Path> latencyTable();

  /** ONNX Runtime threads when measuring the latency table. */
  @WithName("table-threads")
  @WithDefault("1")
  int tableThreads();

  /** Most uniform pruning a job may choose. */
  @WithName("max-ratio")
  @WithDefault("0.9")
  double maxRatio();

  @WithDefault("1")
  int steps();

  @WithName("round-to")
  @WithDefault("1")
  int roundTo();

  @WithName("finetune-epochs")
  @WithDefault("10")
  int finetuneEpochs();

  @WithName("finetune-lr")
  @WithDefault("0.0003")
  double finetuneLr();

  @WithName("recalibrate-batches")
  @WithDefault("8")
  int recalibrateBatches();

  /** auto, always or never. */
  @WithDefault("auto")
  String retrain();

  /** Relative validation-loss threshold above which the pruned architecture is retrained. */
  @WithDefault("0.1")
  double threshold();

  @WithName("retrain-epochs")
  @WithDefault("40")
  int retrainEpochs();

  @WithName("batch-size")
  @WithDefault("16")
  int batchSize();

  @WithDefault("0.001")
  double lr();

  /** Training threads; 0: every core. */
  @WithDefault("0")
  int threads();

  @WithDefault("1")
  long seed();

  @WithName("latency-runs")
  @WithDefault("10")
  int latencyRuns();

  /** Jobs running at once (training takes every core it gets). */
  @WithDefault("1")
  int concurrency();
}
