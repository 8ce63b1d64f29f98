package fwi.cloud.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.data.OpenFwiDataset;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.synth.DatasetGenerator;
import fwi.cloud.synth.VelocityFamily;
import fwi.cloud.train.Evaluator;
import fwi.cloud.train.SampleSet;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trained base model that {@code deploy/bin/demo} serves ({@code deploy/models/}) is the file its
 * README and checksum name, and it is trained: on FlatVel samples it never saw, it is far better than a
 * randomly initialized InversionNet of the same width. Keeps the demo from rotting without running it.
 */
class ShippedModelTest {
  private static final Path MODELS = Path.of("..", "deploy", "models");
  private static final String NAME = "inversionnet-w0.5-flatvel.onnx";

  @Test
  void shippedModelMatchesTheSha256ItsReadmeAndChecksumFileName() throws Exception {
    String actual = OnnxModels.sha256(Files.readAllBytes(MODELS.resolve(NAME)));
    String recorded = Files.readString(MODELS.resolve(NAME + ".sha256"), StandardCharsets.UTF_8).trim();
    assertEquals(recorded, actual + "  " + NAME);
    assertTrue(Files.readString(MODELS.resolve("README.md"), StandardCharsets.UTF_8).contains(actual),
        "deploy/models/README.md must name the sha256 " + actual);
  }

  @Test
  void shippedModelIsFarBetterThanARandomlyInitializedOneOnUnseenSamples(@TempDir Path dir) throws Exception {
    // seed 99: not the training set's seed (7), so these samples are new to the model
    new DatasetGenerator(2).generate(DatasetGenerator.Request.openFwi(VelocityFamily.FLATVEL, 4, 4, 99), dir,
        (done, total, cells, nanos) -> { });
    ModelProto shipped = OnnxModels.read(MODELS.resolve(NAME));
    ModelProto random = InversionNet.build(InversionNetConfig.defaults().withWidth(0.5));
    try (OpenFwiDataset ds = OpenFwiDataset.open(dir)) {
      Evaluator.Evaluation trained = Evaluator.evaluate(shipped, new SampleSet(ds, List.of(1)), 4, 2, 1, 1);
      Evaluator.Evaluation untrained = Evaluator.evaluate(random, new SampleSet(ds, List.of(1)), 4, 2, 1, 1);
      assertEquals(4, trained.samples());
      String figures = String.format("trained MAE %.4f RMSE %.4f, random init MAE %.4f RMSE %.4f",
          trained.metrics().maeNorm(), trained.metrics().rmseNorm(), untrained.metrics().maeNorm(),
          untrained.metrics().rmseNorm());
      System.out.println("shipped model on 4 unseen samples: " + figures);
      // Measured at width 0.25: trained MAE 0.08, random init 0.50. SSIM does not tell them apart on flat layers (a
      // constant map scores ~0.78), so the errors are the test.
      assertTrue(trained.metrics().maeNorm() < 0.4 * untrained.metrics().maeNorm(), figures);
      assertTrue(trained.metrics().rmseNorm() < 0.5 * untrained.metrics().rmseNorm(), figures);
    }
  }
}
