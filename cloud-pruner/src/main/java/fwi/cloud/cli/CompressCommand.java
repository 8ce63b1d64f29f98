package fwi.cloud.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.data.DatasetSplit;
import fwi.cloud.data.OpenFwiDataset;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.prune.Criterion;
import fwi.cloud.train.Compressor;
import fwi.cloud.train.SampleSet;
import fwi.runtime.tensor.FloatTensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pruner compress}: prune, fine-tune, retrain if needed; or prune at initialization. */
@Command(name = "compress", mixinStandardHelpOptions = true,
    description = {"Edge-InversionNet's compression: prune every prunable layer uniformly at --ratio by filter norm, in "
        + "--steps progressive steps with --finetune-epochs of fine-tuning after each; if the validation loss then stays "
        + "above the threshold (--threshold, relative to the unpruned model's loss unless --absolute), re-initialize the "
        + "pruned architecture and train it --retrain-epochs from scratch, and keep the better model.",
        "--prune-at-init instead follows Reconvene: re-initialize, rank layers by their sensitivity to structured pruning "
        + "at initialization, prune the least sensitive to the MACs of the uniform plan, and train once (--retrain-epochs).",
        "Reports params, MACs, ONNX Runtime latency (side by side), MAE, RMSE and SSIM before and after, and wall time "
        + "per phase."})
final class CompressCommand extends CliCommand {
  @Option(names = "--model", required = true, description = "The trained .onnx model to compress.")
  Path model;

  @Option(names = "--out", required = true, description = "Where to write the compressed .onnx.")
  Path outFile;

  @Option(names = "--ratio", required = true, description = "Pruning ratio R in [0, 1).")
  double ratio;

  @Option(names = "--steps", defaultValue = "1", description = "Progressive steps (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--criterion", defaultValue = "l1", description = "l1, l2, bn or random (default: ${DEFAULT-VALUE}).")
  String criterion;

  @Option(names = "--round-to", defaultValue = "1", description = "Keep channel counts multiples of K (default: ${DEFAULT-VALUE}).")
  int roundTo;

  @Option(names = "--finetune-epochs", defaultValue = "10", description = "Fine-tuning epochs after each step (default: ${DEFAULT-VALUE}).")
  int finetuneEpochs;

  @Option(names = "--finetune-lr", description = "AdamW learning rate while fine-tuning (default: --lr).")
  Double finetuneLr;

  @Option(names = "--recalibrate-batches", defaultValue = "0", description = "Training-mode forward passes that "
      + "re-estimate BatchNorm statistics after each prune step, before fine-tuning (default: ${DEFAULT-VALUE}).")
  int recalibrateBatches;

  @Option(names = "--retrain", defaultValue = "auto", description = "auto (when above the threshold), always or never (default: ${DEFAULT-VALUE}).")
  String retrain;

  @Option(names = "--threshold", defaultValue = "0.1", description = "Loss threshold T: relative (retrain when loss > "
      + "base loss x (1 + T)) unless --absolute (default: ${DEFAULT-VALUE}).")
  double threshold;

  @Option(names = "--absolute", description = "--threshold is an absolute validation loss.")
  boolean absolute;

  @Option(names = "--retrain-epochs", defaultValue = "120", description = "Epochs of training from scratch (default: ${DEFAULT-VALUE}).")
  int retrainEpochs;

  @Option(names = "--prune-at-init", description = "Prune at initialization (Reconvene) instead, then train once.")
  boolean pruneAtInit;

  @Option(names = "--latency-runs", defaultValue = "20", description = "Timed ONNX Runtime runs per model (default: ${DEFAULT-VALUE}).")
  int latencyRuns;

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @Mixin
  TrainingOptions training;

  @Override
  public Integer call() throws Exception {
    Compressor.Retrain policy = switch (retrain) {
      case "auto" -> Compressor.Retrain.AUTO;
      case "always" -> Compressor.Retrain.ALWAYS;
      case "never" -> Compressor.Retrain.NEVER;
      default -> throw new IllegalArgumentException("--retrain must be auto, always or never, but was '" + retrain + "'");
    };
    Compressor.Settings s = new Compressor.Settings(ratio, steps, Criterion.parse(criterion), roundTo,
        finetuneEpochs, policy, threshold, !absolute, retrainEpochs, training.config(1), latencyRuns,
        finetuneLr == null ? training.lr : finetuneLr, recalibrateBatches);
    ModelProto base = OnnxModels.read(model);
    Path work = training.checkpointFor(outFile);
    try (OpenFwiDataset ds = OpenFwiDataset.open(training.data)) {
      DatasetSplit split = training.split(ds);
      SampleSet train = new SampleSet(ds, split.train());
      Compressor.Data data = new Compressor.Data(train, split.train(), new SampleSet(ds, split.validation()),
          split.validation());
      Compressor c = new Compressor(s, TrainingOptions.listener(out(), spec.commandLine().getErr(), json), work);
      Compressor.Report r;
      if (pruneAtInit) {
        FloatTensor calibration = train.read(0, Math.min(4, train.count())).gatherTensor();
        r = c.pruneAtInit(base, data, calibration);
      } else {
        r = c.compress(base, data);
      }
      OnnxModels.write(r.model(), outFile);
      if (json) {
        json().writeValue(out(), report(r));
        out().println();
      } else {
        print(r);
      }
    }
    return 0;
  }

  private void print(Compressor.Report r) {
    out().printf(Locale.ROOT, "%s: %s written to %s%n", r.method(), model.getFileName(), outFile);
    out().printf(Locale.ROOT, "%-8s %12s %14s %10s %10s %9s %9s %8s%n", "", "params", "MACs", "p50 ms", "p95 ms", "MAE",
        "RMSE", "SSIM");
    for (Map.Entry<String, Compressor.ModelReport> e : Map.of("before", r.before(), "after", r.after()).entrySet()
        .stream().sorted((a, b) -> b.getKey().compareTo(a.getKey())).toList()) {
      Compressor.ModelReport m = e.getValue();
      out().printf(Locale.ROOT, "%-8s %12d %14d %10.2f %10.2f %9.5f %9.5f %8.4f%n", e.getKey(), m.params(), m.macs(),
          m.latencyMsP50(), m.latencyMsP95(), m.mae(), m.rmse(), m.ssim());
    }
    out().printf(Locale.ROOT, "params -%.1f %%, MACs -%.1f %%, latency -%.1f %%, SSIM %.2f %% of the unpruned model's%n",
        100 * (1 - (double) r.after().params() / r.before().params()),
        100 * (1 - (double) r.after().macs() / r.before().macs()),
        100 * (1 - r.after().latencyMsP50() / r.before().latencyMsP50()), 100 * r.after().ssim() / r.before().ssim());
    for (Compressor.Phase p : r.phases()) {
      out().printf(Locale.ROOT, "  %-44s %9.1f s%s%n", p.name(), p.seconds(),
          p.validationLoss().map(l -> String.format(Locale.ROOT, "   val loss %.5f", l)).orElse(""));
    }
    out().printf(Locale.ROOT, "total %.1f s%s%n", r.totalSeconds(), Double.isNaN(r.thresholdLoss()) ? ""
        : String.format(Locale.ROOT, "; retrain threshold %.5f, retrained: %s", r.thresholdLoss(), r.retrained()));
  }

  private Map<String, Object> report(Compressor.Report r) {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("method", r.method());
    j.put("ratio", ratio);
    j.put("out", outFile.toString());
    j.put("before", model(r.before()));
    j.put("after", model(r.after()));
    j.put("retrained", r.retrained());
    if (!Double.isNaN(r.thresholdLoss())) {
      j.put("threshold_loss", r.thresholdLoss());
    }
    j.put("architecture_seconds", r.architectureSeconds());
    List<Map<String, Object>> phases = new ArrayList<>();
    for (Compressor.Phase p : r.phases()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", p.name());
      m.put("seconds", p.seconds());
      p.validationLoss().ifPresent(l -> m.put("validation_loss", l));
      phases.add(m);
    }
    j.put("phases", phases);
    j.put("total_seconds", r.totalSeconds());
    return j;
  }

  private static Map<String, Object> model(Compressor.ModelReport m) {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("params", m.params());
    j.put("macs", m.macs());
    j.put("latency_ms_p50", m.latencyMsP50());
    j.put("latency_ms_p95", m.latencyMsP95());
    j.put("validation_loss", m.validationLoss());
    j.put("mae", m.mae());
    j.put("rmse", m.rmse());
    j.put("ssim", m.ssim());
    return j;
  }
}
