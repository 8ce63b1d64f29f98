package fwi.cloud.cli;

import fwi.cloud.data.DatasetSplit;
import fwi.cloud.data.OpenFwiDataset;
import fwi.cloud.train.ModelTrainer;
import fwi.cloud.train.TrainingConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/** Options shared by {@code train}, {@code finetune} and {@code compress}: data, recipe, checkpoints. */
final class TrainingOptions {
  @Option(names = "--data", required = true, description = "Dataset folder of dataN.npy/modelN.npy pairs.")
  Path data;

  @Option(names = "--split", defaultValue = "auto", description = "Which files train and validate: openfwi (1-48 train, "
      + "49+ validate), T,V (fractions of the files in number order, e.g. 0.8,0.1; the rest is the test part), or auto "
      + "(openfwi when files above 48 exist, else 0.8,0.1; with two files, one each) (default: ${DEFAULT-VALUE}).")
  String split;

  @Option(names = "--batch-size", defaultValue = "256", description = "Samples per step (default: ${DEFAULT-VALUE}, the reference).")
  int batchSize;

  @Option(names = "--lr", defaultValue = "1e-4", description = "AdamW learning rate (default: ${DEFAULT-VALUE}).")
  double lr;

  @Option(names = "--lr-schedule", defaultValue = "constant", description = "constant (the reference) or cosine "
      + "(decays to 0 at the last step of the run) (default: ${DEFAULT-VALUE}).")
  String schedule;

  @Option(names = "--weight-decay", defaultValue = "1e-4", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
  double weightDecay;

  @Option(names = "--l1", defaultValue = "1", description = "Weight of the L1 loss (default: ${DEFAULT-VALUE}).")
  double l1;

  @Option(names = "--mse", defaultValue = "1", description = "Weight of the MSE loss (default: ${DEFAULT-VALUE}).")
  double mse;

  @Option(names = "--seed", defaultValue = "0", description = "Orders the samples of each epoch (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--threads", defaultValue = "2", description = "libtorch and ONNX Runtime threads (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--checkpoint", description = "Checkpoint folder; re-running the same command continues from it "
      + "(default: the output file name + .ckpt).")
  Path checkpoint;

  @Option(names = "--checkpoint-every", defaultValue = "0",
      description = "Also checkpoint every N steps inside an epoch (default: ${DEFAULT-VALUE} = at epoch ends only).")
  int checkpointEvery;

  TrainingConfig config(int epochs) {
    TrainingConfig.Schedule sc = switch (schedule) {
      case "constant" -> TrainingConfig.Schedule.CONSTANT;
      case "cosine" -> TrainingConfig.Schedule.COSINE;
      default -> throw new IllegalArgumentException("--lr-schedule must be constant or cosine, but was '" + schedule + "'");
    };
    return new TrainingConfig(epochs, batchSize, lr, 0.9, 0.999, weightDecay, l1, mse, seed, threads, checkpointEvery, sc);
  }

  Path checkpointFor(Path out) {
    return checkpoint != null ? checkpoint : out.resolveSibling(out.getFileName() + ".ckpt");
  }

  DatasetSplit split(OpenFwiDataset ds) {
    return DatasetSplit.resolve(ds, split);
  }

  /** Progress on standard error and epoch lines on standard output. */
  static ModelTrainer.Listener listener(PrintWriter out, PrintWriter err, boolean json) {
    ProgressBar bar = new ProgressBar(err, System.console() != null, "samples");
    return new ModelTrainer.Listener() {
      @Override
      public void progress(ModelTrainer.Progress p) {
        bar.update(p.samplesDone(), p.samplesTotal(), p.elapsedNanos(),
            String.format(Locale.ROOT, "epoch %d/%d loss %.4f", p.epoch(), p.epochs(), p.loss()));
      }

      @Override
      public void epoch(fwi.cloud.train.EpochReport r) {
        PrintWriter w = json ? err : out;
        w.printf(Locale.ROOT, "epoch %d: train loss %.5f  val loss %.5f  MAE %.5f  RMSE %.5f  SSIM %.4f  %.1f samples/s%s%n",
            r.epoch(), r.trainLoss(), r.validationLoss(), r.mae(), r.rmse(), r.ssim(), r.samplesPerSecond(),
            r.best() ? "  (best)" : "");
        w.flush();
      }

      @Override
      public void warning(String message) {
        err.println("warning: " + message);
        err.flush();
      }
    };
  }
}
