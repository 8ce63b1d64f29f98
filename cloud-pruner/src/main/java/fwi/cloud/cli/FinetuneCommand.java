package fwi.cloud.cli;

import picocli.CommandLine.Command;

/** {@code pruner finetune}: a short training run, meant for a pruned model. */
@Command(name = "finetune", mixinStandardHelpOptions = true,
    description = {"Fine-tunes a (pruned) ONNX model on a dataset folder: the same loop as 'train' with fewer epochs "
        + "(default 10). Writes the best validation epoch as ONNX; resumable from its checkpoint."})
final class FinetuneCommand extends TrainingCommand {
  @Override
  int defaultEpochs() {
    return 10;
  }

  @Override
  String method() {
    return "finetune";
  }
}
