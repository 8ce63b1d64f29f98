package fwi.cloud.train;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.graph.ModelSummary;
import fwi.cloud.latency.Timing;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.prune.ChannelGraph;
import fwi.cloud.prune.Criterion;
import fwi.cloud.prune.Plans;
import fwi.cloud.prune.PrunePlan;
import fwi.cloud.prune.PruneResult;
import fwi.cloud.prune.Pruner;
import fwi.cloud.prune.SensitivityPlanner;
import fwi.runtime.ort.InferenceException;
import fwi.runtime.ort.ModelLoadException;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.stats.LatencySummary;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Edge-InversionNet's compression, and Reconvene's pruning at initialization, on ONNX models.
 *
 * <p>{@link #compress}: prune uniformly at ratio R by ℓ1 (or another criterion), in k progressive
 * steps, fine-tuning E epochs after each; evaluate on the validation files; if the validation loss
 * is above the threshold T (absolute, or relative to the unpruned model's), re-initialize the
 * pruned architecture and train it from scratch; return whichever is better. {@link #pruneAtInit}:
 * re-initialize the architecture, measure each layer's sensitivity to structured pruning at
 * initialization on a calibration batch, prune the least sensitive layers to the MACs of the
 * uniform plan at R, and train once.
 *
 * <p>Every phase is timed; the report holds params, MACs, ONNX Runtime latency (measured side by
 * side for the unpruned and compressed models, batch 1) and MAE/RMSE/SSIM before and after.
 * Not thread-safe.
 */
public final class Compressor {
  /** When to retrain the pruned architecture from scratch. */
  public enum Retrain {
    /** When the fine-tuned validation loss stays above the threshold (the paper's rule). */
    AUTO,
    /** Always, keeping the better of fine-tuned and retrained. */
    ALWAYS,
    /** Never: fine-tuning only. */
    NEVER
  }

  /**
   * @param ratio uniform pruning ratio R in [0, 1)
   * @param steps progressive steps k, at least 1
   * @param finetuneEpochs epochs of fine-tuning after each step
   * @param retrainEpochs epochs of training from scratch (also the epochs of pruning at init)
   * @param threshold validation-loss threshold T
   * @param relative T is relative to the unpruned model's validation loss (loss > base·(1 + T))
   *     rather than absolute (loss > T)
   * @param training optimizer, batch, loss, seed and threads for every training phase
   * @param latencyRuns timed ONNX Runtime runs per model (after 3 warm-up runs)
   * @param recalibrationBatches training-mode forward passes that re-estimate BatchNorm statistics
   *     after each prune step, before fine-tuning (0: none; {@link BatchNormRecalibration})
   * @param finetuneLearningRate AdamW step size while fine-tuning (pruned weights are already
   *     trained, so a smaller step than training from scratch keeps them from being shaken loose)
   */
  public record Settings(double ratio, int steps, Criterion criterion, int roundTo, int finetuneEpochs, Retrain retrain,
      double threshold, boolean relative, int retrainEpochs, TrainingConfig training, int latencyRuns,
      double finetuneLearningRate, int recalibrationBatches) {
    public Settings {
      if (recalibrationBatches < 0) {
        throw new IllegalArgumentException("recalibration batches must be at least 0, but was " + recalibrationBatches);
      }
      if (!(finetuneLearningRate > 0) || Double.isInfinite(finetuneLearningRate)) {
        throw new IllegalArgumentException("fine-tuning learning rate must be positive and finite, but was "
            + finetuneLearningRate);
      }
      if (!(ratio >= 0 && ratio < 1)) {
        throw new IllegalArgumentException("pruning ratio must be in [0, 1), but was " + ratio);
      }
      if (steps < 1) {
        throw new IllegalArgumentException("progressive steps must be at least 1, but was " + steps);
      }
      if (finetuneEpochs < 0 || retrainEpochs < 1) {
        throw new IllegalArgumentException("fine-tune epochs must be at least 0 and retrain epochs at least 1, but were "
            + finetuneEpochs + " and " + retrainEpochs);
      }
      if (!(threshold >= 0) || Double.isInfinite(threshold)) {
        throw new IllegalArgumentException("loss threshold must be finite and at least 0, but was " + threshold);
      }
      if (latencyRuns < 1) {
        throw new IllegalArgumentException("latency runs must be at least 1, but was " + latencyRuns);
      }
    }
  }

  /** Size, speed and quality of one model. Latency in ms, ONNX Runtime, batch 1. */
  public record ModelReport(long params, long macs, double latencyMsP50, double latencyMsP95, double validationLoss,
      double mae, double rmse, double ssim) {
  }

  /** A timed phase: {@code prune step 1/2}, {@code finetune step 1/2}, {@code retrain}, ... */
  public record Phase(String name, double seconds, Optional<Double> validationLoss) {
  }

  /**
   * @param method {@code finetune}, {@code retrain} or {@code prune-at-init}: what produced {@code model}
   * @param retrained whether a from-scratch retraining ran
   * @param thresholdLoss the loss above which retraining starts (NaN for pruning at init)
   * @param architectureSeconds pruning at init: seconds to produce the pruned architecture
   *     (re-initialize, sensitivities, plan, prune); for compress the total prune time
   */
  public record Report(String method, ModelProto model, ModelReport before, ModelReport after, List<Phase> phases,
      boolean retrained, double thresholdLoss, double architectureSeconds, double totalSeconds) {
  }

  private final Settings settings;
  private final ModelTrainer.Listener listener;
  private final Path workDir;

  /**
   * @param workDir checkpoints of the training phases go in sub-folders here, so a killed
   *     compression resumes its training phase
   */
  public Compressor(Settings settings, ModelTrainer.Listener listener, Path workDir) {
    this.settings = settings;
    this.listener = listener;
    this.workDir = workDir;
  }

  /** The paper's algorithm on a trained model. */
  public Report compress(ModelProto base, Data data) throws IOException, InvalidModelException, ModelLoadException,
      InferenceException {
    long t0 = System.nanoTime();
    TrainingConfig tc = settings.training();
    Evaluator.Evaluation baseEval = evaluate(base, data.validation());
    double thresholdLoss = settings.relative() ? baseEval.loss() * (1 + settings.threshold()) : settings.threshold();
    List<Phase> phases = new ArrayList<>();
    phases.add(new Phase("evaluate base", baseEval.seconds(), Optional.of(baseEval.loss())));
    ChannelGraph cg = ChannelGraph.analyze(base);
    PrunePlan plan = Plans.uniform(cg, settings.ratio(), settings.roundTo());
    String sha = OnnxModels.sha256(base.toByteArray());
    int[] step = {0};
    long p0 = System.nanoTime();
    List<PruneResult> results;
    try {
      results = Pruner.progressive(base, sha, plan, settings.criterion(), tc.seed(), settings.steps(), m -> {
        step[0]++;
        return finetune(m, data, "finetune step " + step[0] + "/" + settings.steps(), phases);
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    } catch (WrappedException e) {
      throw e.rethrow();
    }
    double finetuneInside = phases.stream().filter(p -> p.name().startsWith("finetune")).mapToDouble(Phase::seconds)
        .sum();
    double pruneSeconds = (System.nanoTime() - p0) / 1e9 - finetuneInside;
    phases.add(1, new Phase("prune (" + settings.steps() + " step" + (settings.steps() > 1 ? "s" : "") + ")",
        pruneSeconds, Optional.empty()));
    ModelProto pruned = results.get(results.size() - 1).model();
    ModelProto finetuned = settings.finetuneEpochs() > 0
        ? finetune(pruned, data, "finetune step " + settings.steps() + "/" + settings.steps(), phases) : pruned;
    Evaluator.Evaluation ftEval = evaluate(finetuned, data.validation());
    phases.add(new Phase("evaluate finetuned", ftEval.seconds(), Optional.of(ftEval.loss())));
    ModelProto chosen = finetuned;
    String method = "finetune";
    boolean retrain = settings.retrain() == Retrain.ALWAYS
        || settings.retrain() == Retrain.AUTO && ftEval.loss() > thresholdLoss;
    Evaluator.Evaluation chosenEval = ftEval;
    if (retrain) {
      ModelProto fresh = Initialization.reinitialize(pruned, tc.seed() + 1);
      ModelProto retrained = train(fresh, data, settings.retrainEpochs(), "retrain", phases);
      Evaluator.Evaluation rtEval = evaluate(retrained, data.validation());
      phases.add(new Phase("evaluate retrained", rtEval.seconds(), Optional.of(rtEval.loss())));
      if (rtEval.loss() < ftEval.loss()) {
        chosen = retrained;
        chosenEval = rtEval;
        method = "retrain";
      }
    }
    chosen = OnnxModels.withMetadata(chosen, "fwi.train.method", method);
    return report(method, base, baseEval, chosen, chosenEval, phases, retrain, thresholdLoss, pruneSeconds, t0);
  }

  /**
   * Reconvene: prune an initialized architecture to the MACs of the uniform plan at R, guided by
   * each layer's sensitivity at initialization on {@code calibration}, then train once.
   */
  public Report pruneAtInit(ModelProto base, Data data, FloatTensor calibration) throws IOException,
      InvalidModelException, ModelLoadException, InferenceException {
    long t0 = System.nanoTime();
    TrainingConfig tc = settings.training();
    Evaluator.Evaluation baseEval = evaluate(base, data.validation());
    List<Phase> phases = new ArrayList<>();
    phases.add(new Phase("evaluate base", baseEval.seconds(), Optional.of(baseEval.loss())));
    long a0 = System.nanoTime();
    ModelProto init = Initialization.reinitialize(base, tc.seed() + 2);
    ChannelGraph cg = ChannelGraph.analyze(init);
    long targetMacs = Pruner.prune(cg, "target", Plans.uniform(cg, settings.ratio(), settings.roundTo()),
        settings.criterion(), tc.seed()).after().macs();
    double probe = Math.min(0.5, Math.max(0.25, settings.ratio()));
    List<SensitivityPlanner.Sensitivity> sens = SensitivityPlanner.measure(cg, calibration, probe,
        settings.criterion(), tc.seed(), new RunnerOptions(tc.threads()));
    PrunePlan plan = SensitivityPlanner.plan(cg, sens, new SensitivityPlanner.Target(SensitivityPlanner.Measure.MACS,
        targetMacs), probe, Math.max(probe, Math.min(0.9375, 1 - (1 - settings.ratio()) / 4)), settings.roundTo());
    ModelProto pruned = Pruner.prune(cg, OnnxModels.sha256(init.toByteArray()), plan, settings.criterion(), tc.seed())
        .model();
    double archSeconds = (System.nanoTime() - a0) / 1e9;
    phases.add(new Phase("prune at init (sensitivities, plan, prune)", archSeconds, Optional.empty()));
    ModelProto trained = train(Initialization.reinitialize(pruned, tc.seed() + 3), data, settings.retrainEpochs(),
        "train pruned-at-init", phases);
    Evaluator.Evaluation eval = evaluate(trained, data.validation());
    phases.add(new Phase("evaluate", eval.seconds(), Optional.of(eval.loss())));
    trained = OnnxModels.withMetadata(trained, "fwi.train.method", "prune-at-init");
    return report("prune-at-init", base, baseEval, trained, eval, phases, true, Double.NaN, archSeconds, t0);
  }

  /** Training and validation samples of a dataset, with their file numbers (for checkpoints). */
  public record Data(SampleSet train, List<Integer> trainFiles, SampleSet validation, List<Integer> validationFiles) {
  }

  private ModelProto finetune(ModelProto m, Data data, String name, List<Phase> phases) {
    if (settings.finetuneEpochs() == 0) {
      return m;
    }
    try {
      if (settings.recalibrationBatches() > 0) {
        long t0 = System.nanoTime();
        TrainingConfig tc = settings.training();
        m = BatchNormRecalibration.run(m, data.train(), tc.batchSize(), settings.recalibrationBatches(), tc.threads(),
            tc.seed());
        phases.add(new Phase("recalibrate BatchNorm " + name.replace("finetune ", ""), (System.nanoTime() - t0) / 1e9,
            Optional.empty()));
      }
      return train(m, data, settings.training().withLearningRate(settings.finetuneLearningRate())
          .withEpochs(settings.finetuneEpochs()), name, phases);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InvalidModelException e) {
      throw new WrappedException(e);
    }
  }

  private ModelProto train(ModelProto m, Data data, int epochs, String name, List<Phase> phases)
      throws IOException, InvalidModelException {
    return train(m, data, settings.training().withEpochs(epochs), name, phases);
  }

  private ModelProto train(ModelProto m, Data data, TrainingConfig config, String name, List<Phase> phases)
      throws IOException, InvalidModelException {
    long t0 = System.nanoTime();
    Checkpoint ck = new Checkpoint(workDir.resolve(name.replaceAll("[^A-Za-z0-9]+", "-")));
    ModelTrainer.Result r = new ModelTrainer(config, listener)
        .train(m, data.train(), data.trainFiles(), data.validation(), data.validationFiles(), Optional.of(ck));
    phases.add(new Phase(name, (System.nanoTime() - t0) / 1e9, Optional.of(r.bestValidationLoss())));
    return r.best();
  }

  private Evaluator.Evaluation evaluate(ModelProto m, SampleSet set) throws ModelLoadException, InferenceException {
    TrainingConfig tc = settings.training();
    return Evaluator.evaluate(m, set, Math.min(tc.batchSize(), 16), tc.threads(), tc.l1Weight(), tc.mseWeight());
  }

  private Report report(String method, ModelProto base, Evaluator.Evaluation baseEval, ModelProto after,
      Evaluator.Evaluation afterEval, List<Phase> phases, boolean retrained, double thresholdLoss, double archSeconds,
      long t0) throws InvalidModelException, ModelLoadException, InferenceException {
    ModelSummary sb = ModelCounter.count(base);
    ModelSummary sa = ModelCounter.count(after);
    LatencySummary[] lat;
    int threads = settings.training().threads();
    try (ModelRunner rb = ModelRunner.open(base.toByteArray(), new RunnerOptions(threads), "unpruned model");
        ModelRunner ra = ModelRunner.open(after.toByteArray(), new RunnerOptions(threads), "compressed model")) {
      lat = Timing.interleaved(List.of(rb, ra), Timing.noise(Shape.of(1, 5, 1000, 70), 1), 3, settings.latencyRuns());
    }
    return new Report(method, after, model(sb, lat[0], baseEval), model(sa, lat[1], afterEval), List.copyOf(phases),
        retrained, thresholdLoss, archSeconds, (System.nanoTime() - t0) / 1e9);
  }

  private static ModelReport model(ModelSummary s, LatencySummary l, Evaluator.Evaluation e) {
    return new ModelReport(s.params(), s.macs(), l.p50Us() / 1e3, l.p95Us() / 1e3, e.loss(), e.metrics().maeNorm(),
        e.metrics().rmseNorm(), e.metrics().ssim());
  }

  /** Carries a checked exception out of the progressive pruner's callback. */
  private static final class WrappedException extends RuntimeException {
    WrappedException(InvalidModelException e) {
      super(e);
    }

    InvalidModelException rethrow() {
      return (InvalidModelException) getCause();
    }
  }
}
