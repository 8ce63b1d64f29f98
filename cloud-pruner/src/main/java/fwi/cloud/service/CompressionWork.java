package fwi.cloud.service;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.google.protobuf.ByteString;
import fwi.cloud.data.DatasetSplit;
import fwi.cloud.data.OpenFwiDataset;
import fwi.cloud.jobs.JobRunner;
import fwi.cloud.metrics.VelocityMetrics;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.planner.Planner;
import fwi.cloud.planner.UniformTarget;
import fwi.cloud.registry.ModelRegistry;
import fwi.cloud.registry.RegisteredModel;
import fwi.cloud.registry.Registration;
import fwi.cloud.train.Compressor;
import fwi.cloud.train.ModelTrainer;
import fwi.cloud.train.SampleSet;
import fwi.proto.v1.ModelRef;
import fwi.proto.v1.PruneJob;
import fwi.proto.v1.PruneMethod;
import fwi.proto.v1.PrunePlanSummary;
import fwi.proto.v1.PruneJobReport;
import fwi.proto.v1.PrunePhase;
import fwi.proto.v1.QualityMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * One compression job of the fleet service: turn the planner's target into a uniform pruning ratio
 * with the reference latency table, compress the base model at that ratio (prune, fine-tune, retrain
 * from scratch when the loss stays above the threshold: {@link Compressor}), register the result for
 * the profile (signed manifests come from the registry) and report params, MACs, quality and
 * predicted latency on the job. The files of a job live in {@code <jobs>/<id>/}.
 *
 * @param decision what the planner asked for
 * @param base the base model file
 * @param reference latencies on the reference machine
 * @param toProfileMs maps a reference latency to the profile's predicted p95 (its fitted latency model)
 * @param settings compression settings with the ratio left at 0 (this work chooses it)
 * @param maxRatio the most pruning allowed
 * @param dataset OpenFWI-layout folder for fine-tuning and evaluation
 * @param split its train/validation split
 * @param workDir the job's directory
 */
record CompressionWork(Planner.Decision decision, Path base, ReferenceLatency reference,
    Function<Double, Double> toProfileMs, Compressor.Settings settings, double maxRatio, Path dataset, String split,
    ModelRegistry registry, Path workDir) implements JobRunner.Work {
  private static final Logger LOG = Logger.getLogger(CompressionWork.class);

  @Override
  public ModelRef run(PruneJob job, JobRunner.Progress progress) throws Exception {
    progress.phase(PrunePhase.PRUNE_PHASE_PLANNING, 1);
    // A target below what the most pruning allowed is predicted to reach (or below zero, from a fit to noisy
    // telemetry) still gets the fastest model allowed: the field and the rollout's gates are the judges.
    UniformTarget.Choice choice = UniformTarget.ofOrFastest(reference.table(), reference.table(),
        decision.targetReferenceMs(), maxRatio);
    if (choice.predictedMs() > decision.targetReferenceMs()) {
      LOG.warnf("job %s (%s): target %.2f ms on the reference machine is predicted out of reach of uniform pruning "
          + "up to fwi.compression.max-ratio %.2f (%.2f ms there); pruning at %.2f", job.getJobId(), decision.profile(),
          decision.targetReferenceMs(), maxRatio, choice.predictedMs(), maxRatio);
    }
    double predictedProfileMs = toProfileMs.apply(choice.predictedMs());
    LOG.infof("job %s (%s): uniform ratio %.3f, predicted %.2f ms on the reference machine, %.1f ms p95 on the "
        + "profile (target %.1f ms)", job.getJobId(), decision.profile(), choice.ratio(), choice.predictedMs(),
        predictedProfileMs, decision.targetProfileMs());
    progress.figures(PruneJobReport.newBuilder()
        .setPredictedLatencyP95Us(Math.round(predictedProfileMs * 1000)));
    Compressor.Settings s = new Compressor.Settings(choice.ratio(), settings.steps(), settings.criterion(),
        settings.roundTo(), settings.finetuneEpochs(), settings.retrain(), settings.threshold(), settings.relative(),
        settings.retrainEpochs(), settings.training(), settings.latencyRuns(), settings.finetuneLearningRate(),
        settings.recalibrationBatches());
    progress.phase(PrunePhase.PRUNE_PHASE_PRUNING, 5);
    ModelProto baseModel = OnnxModels.read(base);
    Compressor.Report r;
    Files.createDirectories(workDir);
    try (OpenFwiDataset ds = OpenFwiDataset.open(dataset)) {
      DatasetSplit sp = DatasetSplit.resolve(ds, split);
      Compressor.Data data = new Compressor.Data(new SampleSet(ds, sp.train()), sp.train(),
          new SampleSet(ds, sp.validation()), sp.validation());
      r = new Compressor(s, new TrainingProgress(progress), workDir.resolve("checkpoints")).compress(baseModel, data);
    }
    progress.phase(PrunePhase.PRUNE_PHASE_EVALUATING, 90);
    byte[] bytes = r.model().toByteArray();
    double afterReferenceMs = reference.ms(r.model(), OnnxModels.sha256(bytes));
    progress.figures(PruneJobReport.newBuilder()
        .setParamCountBefore(r.before().params()).setParamCountAfter(r.after().params())
        .setMacsBefore(r.before().macs()).setMacsAfter(r.after().macs())
        .setPredictedLatencyP95Us(Math.round(toProfileMs.apply(afterReferenceMs) * 1000))
        .setQualityBefore(quality(r.before())).setQualityAfter(quality(r.after())).setRetrained(r.retrained()));
    progress.phase(PrunePhase.PRUNE_PHASE_REGISTERING, 95);
    Path file = workDir.resolve("model.onnx");
    OnnxModels.write(bytes, file);
    RegisteredModel m = registry.register(decision.profile(), bytes, file.toString(), Registration.none()
        .withQuality(quality(r.after()).toBuilder().setEvalDatasetId(dataset.getFileName().toString()).build())
        .withPlan(PrunePlanSummary.newBuilder().setJobId(job.getJobId())
            .setMethod(PruneMethod.PRUNE_METHOD_UNIFORM_L1).setChannelRatio(choice.ratio())
            .setPredictedLatencyP95Us(Math.round(toProfileMs.apply(afterReferenceMs) * 1000))
            .setFineTuneEpochs(settings.finetuneEpochs()).setRetrained(r.retrained()).build()));
    LOG.infof("job %s: %s registered as %s (%s, params %d -> %d, SSIM %.4f -> %.4f, p50 here %.1f -> %.1f ms)",
        job.getJobId(), r.method(), m.modelId(), m.sha256Hex().substring(0, 12), r.before().params(), r.after().params(),
        r.before().ssim(), r.after().ssim(), r.before().latencyMsP50(), r.after().latencyMsP50());
    return ModelRef.newBuilder().setModelId(m.modelId()).setVersion(m.version())
        .setSha256(ByteString.copyFrom(HexFormat.of().parseHex(m.sha256Hex()))).build();
  }

  private static QualityMetrics quality(Compressor.ModelReport m) {
    return QualityMetrics.newBuilder().setMaeMPerS(m.mae() * VelocityMetrics.VELOCITY_SCALE_MPS)
        .setRmseMPerS(m.rmse() * VelocityMetrics.VELOCITY_SCALE_MPS).setSsim(m.ssim()).build();
  }

  /** Training progress as job progress: fine-tuning spans 10–85 % of the job. */
  private static final class TrainingProgress implements ModelTrainer.Listener {
    private final JobRunner.Progress progress;
    private double last = 5;
    private long lastReportNanos;

    TrainingProgress(JobRunner.Progress progress) {
      this.progress = progress;
    }

    @Override
    public void progress(ModelTrainer.Progress p) {
      JobRunner.checkCancelled();
      long now = System.nanoTime();
      if (now - lastReportNanos < 1_000_000_000L && p.samplesDone() < p.samplesTotal()) {
        return;
      }
      lastReportNanos = now;
      double pct = Math.max(last, 10 + 75.0 * p.samplesDone() / Math.max(1, p.samplesTotal()));
      last = pct;
      progress.phase(PrunePhase.PRUNE_PHASE_FINE_TUNING, pct);
    }

    @Override
    public void warning(String message) {
      LOG.warn(message);
    }
  }
}
