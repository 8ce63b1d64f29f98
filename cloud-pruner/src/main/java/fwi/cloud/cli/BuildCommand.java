package fwi.cloud.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.graph.BatchNormFolding;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.model.InversionNetConfig.CropStyle;
import fwi.cloud.model.Normalization;
import fwi.cloud.model.OnnxModels;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pruner build}: writes a freshly initialized InversionNet. */
@Command(name = "build", mixinStandardHelpOptions = true,
    description = "Builds InversionNet (OpenFWI architecture, PyTorch-default initialization) as a self-contained "
        + "ONNX model: raw gathers [N,5,1000,70] in, velocity [N,1,70,70] in m/s out.")
final class BuildCommand extends CliCommand {
  @Option(names = "--width", defaultValue = "1.0", description = "Channel multiplier in (0, 2]; 1.0 = published network (default: ${DEFAULT-VALUE}).")
  double width;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the initial weights (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--model-version", defaultValue = "1", description = "Model version written into the graph (default: ${DEFAULT-VALUE}).")
  long version;

  @Option(names = "--crop", defaultValue = "SLICE", description = "How the decoder crops 80x80 to 70x70: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  CropStyle crop;

  @Option(names = "--dataset", defaultValue = "flatvel-a", description = "Normalization limits: flatvel-a or curvevel-a (default: ${DEFAULT-VALUE}).")
  String dataset;

  @Option(names = "--opset", defaultValue = "17", description = "Default-domain ONNX opset written, 11 to 17 (default: ${DEFAULT-VALUE}).")
  long opset;

  @Option(names = "--fold-bn", description = "Fold every BatchNormalization into the conv before it. A freshly built "
      + "model's BatchNorm is the identity, so this changes only the graph's shape (no BatchNormalization nodes), "
      + "not its outputs.")
  boolean foldBn;

  @Option(names = "--out", required = true, description = "Where to write the .onnx file.")
  Path out;

  @Override
  public Integer call() throws Exception {
    Normalization norm = switch (dataset) {
      case "flatvel-a" -> Normalization.FLATVEL_A;
      case "curvevel-a" -> Normalization.CURVEVEL_A;
      default -> throw new IllegalArgumentException("--dataset must be flatvel-a or curvevel-a, but was '" + dataset + "'");
    };
    ModelProto model = InversionNet.build(new InversionNetConfig(width, seed, version, crop, norm, opset));
    if (foldBn) {
      model = BatchNormFolding.fold(model);
    }
    byte[] bytes = model.toByteArray();
    OnnxModels.write(bytes, out);
    out().printf("wrote %s: InversionNet width %s, opset %d%s, %,d bytes, sha256 %s%n", out, width, opset,
        foldBn ? ", BatchNorm folded" : "", bytes.length, OnnxModels.sha256(bytes));
    return 0;
  }
}
