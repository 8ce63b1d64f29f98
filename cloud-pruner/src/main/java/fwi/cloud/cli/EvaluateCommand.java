package fwi.cloud.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.data.DatasetSplit;
import fwi.cloud.data.OpenFwiDataset;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.train.Evaluator;
import fwi.cloud.train.SampleSet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pruner evaluate}: OpenFWI's quality metrics of a model on a dataset folder. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = {"Runs an ONNX model in ONNX Runtime over a dataset folder (raw gathers in, m/s out) and prints MAE and "
        + "RMSE on normalized velocity ((v - 3000) / 1500) and SSIM (11x11 Gaussian window on values mapped to [0, 1]), "
        + "as the OpenFWI benchmark reports them. Samples holding NaN are skipped and counted."})
final class EvaluateCommand extends CliCommand {
  @Option(names = "--model", required = true, description = "The .onnx model.")
  Path model;

  @Option(names = "--data", required = true, description = "Dataset folder of dataN.npy/modelN.npy pairs.")
  Path data;

  @Option(names = "--files", defaultValue = "all", description = "all, validation or test (parts of --split), or file "
      + "numbers such as 49,50 (default: ${DEFAULT-VALUE}).")
  String files;

  @Option(names = "--split", defaultValue = "auto", description = "As for 'train' (default: ${DEFAULT-VALUE}).")
  String split;

  @Option(names = "--batch-size", defaultValue = "16", description = "Samples per ONNX Runtime call (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--threads", defaultValue = "2", description = "ONNX Runtime threads (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--json", description = "Print JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (batchSize < 1) {
      throw new IllegalArgumentException("--batch-size must be at least 1, but was " + batchSize);
    }
    ModelProto m = OnnxModels.read(model);
    try (OpenFwiDataset ds = OpenFwiDataset.open(data)) {
      List<Integer> chosen = files(ds);
      Evaluator.Evaluation e = Evaluator.evaluate(m, new SampleSet(ds, chosen), batchSize, threads, 1, 1);
      if (json) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", model.toString());
        j.put("files", chosen);
        j.putAll(metrics(e));
        json().writeValue(out(), j);
        out().println();
      } else {
        out().printf(Locale.ROOT, "%s on %s files %s: %d samples%s%n", model.getFileName(), data, chosen, e.samples(),
            e.skipped() > 0 ? " (" + e.skipped() + " skipped for NaN)" : "");
        out().printf(Locale.ROOT, "MAE   %.5f  (%.1f m/s)%nRMSE  %.5f  (%.1f m/s)%nSSIM  %.5f%n", e.metrics().maeNorm(),
            e.metrics().maeMps(), e.metrics().rmseNorm(), e.metrics().rmseMps(), e.metrics().ssim());
      }
    }
    return 0;
  }

  private List<Integer> files(OpenFwiDataset ds) {
    switch (files) {
      case "all" -> {
        return ds.fileNumbers();
      }
      case "validation", "test" -> {
        DatasetSplit s = DatasetSplit.resolve(ds, split);
        List<Integer> f = files.equals("test") ? s.test() : s.validation();
        if (f.isEmpty()) {
          throw new IllegalArgumentException("the split of " + ds.fileNumbers() + " by '" + split + "' has no " + files
              + " files");
        }
        return f;
      }
      default -> {
        List<Integer> out = new ArrayList<>();
        for (String p : files.split(",")) {
          try {
            out.add(Integer.parseInt(p.trim()));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--files must be all, validation, test or file numbers such as 49,50, "
                + "but was '" + files + "'");
          }
        }
        return out;
      }
    }
  }

  /** The metrics as JSON fields. */
  static Map<String, Object> metrics(Evaluator.Evaluation e) {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("samples", e.samples());
    j.put("skipped", e.skipped());
    j.put("mae", e.metrics().maeNorm());
    j.put("rmse", e.metrics().rmseNorm());
    j.put("ssim", e.metrics().ssim());
    j.put("mae_mps", e.metrics().maeMps());
    j.put("rmse_mps", e.metrics().rmseMps());
    j.put("loss", e.loss());
    j.put("seconds", e.seconds());
    return j;
  }
}
