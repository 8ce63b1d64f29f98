package fwi.cloud.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.data.DatasetSplit;
import fwi.cloud.data.OpenFwiDataset;
import fwi.cloud.model.ModelMetadata;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.train.Checkpoint;
import fwi.cloud.train.EpochReport;
import fwi.cloud.train.Evaluator;
import fwi.cloud.train.ModelTrainer;
import fwi.cloud.train.SampleSet;
import fwi.cloud.train.TrainingConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Shared body of {@code train} and {@code finetune}: they differ only in their default epochs and
 * in what the output's metadata calls the run.
 */
abstract class TrainingCommand extends CliCommand {
  @Option(names = "--model", required = true, description = "The .onnx model to train (e.g. from 'pruner build' or 'pruner prune').")
  Path model;

  @Option(names = "--out", required = true, description = "Where to write the trained .onnx (the best validation epoch).")
  Path outFile;

  @Option(names = "--epochs", description = "Epochs.")
  Integer epochs;

  @Option(names = "--json", description = "Print a JSON summary instead of text.")
  boolean json;

  @Mixin
  TrainingOptions training;

  abstract int defaultEpochs();

  abstract String method();

  @Override
  public Integer call() throws Exception {
    ModelProto start = OnnxModels.read(model);
    TrainingConfig config = training.config(epochs == null ? defaultEpochs() : epochs);
    try (OpenFwiDataset ds = OpenFwiDataset.open(training.data)) {
      DatasetSplit split = training.split(ds);
      SampleSet train = new SampleSet(ds, split.train());
      SampleSet val = new SampleSet(ds, split.validation());
      Path ck = training.checkpointFor(outFile);
      if (!json) {
        out().printf(Locale.ROOT, "%s %s on %s: %d training samples (files %s), %d validation (files %s); %d epochs, batch %d, "
            + "lr %g, %d thread(s); checkpoint %s%n", method(), model.getFileName(), training.data, train.count(),
            split.train(), val.count(), split.validation(), config.epochs(), config.batchSize(), config.learningRate(),
            config.threads(), ck);
        out().flush();
      }
      ModelTrainer.Result r = new ModelTrainer(config, TrainingOptions.listener(out(), spec.commandLine().getErr(), json))
          .train(start, train, split.train(), val, split.validation(), Optional.of(new Checkpoint(ck)));
      ModelProto best = r.best();
      best = OnnxModels.withMetadata(best, ModelMetadata.PARENT_SHA256, OnnxModels.sha256(start.toByteArray()));
      best = OnnxModels.withMetadata(best, "fwi.train.method", method());
      best = OnnxModels.withMetadata(best, "fwi.train.epochs", Integer.toString(r.epochs().size()));
      best = OnnxModels.withMetadata(best, "fwi.train.best_epoch", Integer.toString(r.bestEpoch()));
      best = OnnxModels.withMetadata(best, "fwi.train.validation_loss", Double.toString(r.bestValidationLoss()));
      OnnxModels.write(best, outFile);
      Optional<Evaluator.Evaluation> test = Optional.empty();
      if (!split.test().isEmpty()) {
        test = Optional.of(Evaluator.evaluate(best, new SampleSet(ds, split.test()), Math.min(16, config.batchSize()),
            config.threads(), config.l1Weight(), config.mseWeight()));
      }
      if (json) {
        json().writeValue(out(), summary(r, test));
        out().println();
      } else {
        out().printf(Locale.ROOT, "best epoch %d (validation loss %.5f) written to %s; %d steps, %.1f s training, "
            + "%.2f samples/s%s%n", r.bestEpoch(), r.bestValidationLoss(), outFile, r.steps(), r.trainSeconds(),
            r.samplesPerSecond(), r.resumed() ? " (resumed from checkpoint)" : "");
        test.ifPresent(t -> out().printf(Locale.ROOT, "test files %s: MAE %.5f  RMSE %.5f  SSIM %.4f (%d samples)%n",
            split.test(), t.metrics().maeNorm(), t.metrics().rmseNorm(), t.metrics().ssim(), t.samples()));
        if (r.skippedSamples() > 0) {
          out().printf(Locale.ROOT, "%d sample(s) skipped for NaN or infinite values%n", r.skippedSamples());
        }
      }
    }
    return 0;
  }

  private Map<String, Object> summary(ModelTrainer.Result r, Optional<Evaluator.Evaluation> test) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("method", method());
    m.put("model", model.toString());
    m.put("out", outFile.toString());
    m.put("parameters", r.parameters());
    m.put("epochs", r.epochs().size());
    m.put("steps", r.steps());
    m.put("best_epoch", r.bestEpoch());
    m.put("best_validation_loss", r.bestValidationLoss());
    m.put("train_seconds", r.trainSeconds());
    m.put("samples_per_second", r.samplesPerSecond());
    m.put("skipped_samples", r.skippedSamples());
    m.put("resumed", r.resumed());
    List<Map<String, Object>> hist = new ArrayList<>();
    for (EpochReport e : r.epochs()) {
      Map<String, Object> h = new LinkedHashMap<>();
      h.put("epoch", e.epoch());
      h.put("train_loss", e.trainLoss());
      h.put("validation_loss", e.validationLoss());
      h.put("mae", e.mae());
      h.put("rmse", e.rmse());
      h.put("ssim", e.ssim());
      h.put("train_seconds", e.trainSeconds());
      h.put("validation_seconds", e.validationSeconds());
      h.put("samples_per_second", e.samplesPerSecond());
      h.put("best", e.best());
      hist.add(h);
    }
    m.put("history", hist);
    test.ifPresent(t -> m.put("test", EvaluateCommand.metrics(t)));
    return m;
  }
}
