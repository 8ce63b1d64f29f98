package fwi.cloud.cli;

import picocli.CommandLine.Command;

/** {@code pruner train}: train a model's weights on a dataset folder. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Trains an ONNX model (InversionNet from 'pruner build', pruned or not) on a dataset folder with the "
        + "OpenFWI recipe: L1 + MSE on the normalized velocity, AdamW lr 1e-4, betas (0.9, 0.999), weight decay 1e-4. "
        + "Validates after every epoch (loss, MAE, RMSE, SSIM), writes the best epoch's model as ONNX, keeps a resumable "
        + "checkpoint: re-running the same command after a kill continues where it stopped.",
        "Epochs default to 120 (the reference)."})
final class TrainCommand extends TrainingCommand {
  @Override
  int defaultEpochs() {
    return 120;
  }

  @Override
  String method() {
    return "train";
  }
}
