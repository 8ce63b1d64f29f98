package fwi.cloud.cli;

import static fwi.cloud.cli.PrunerCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fwi.cloud.train.ToyData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {
  @TempDir
  Path dir;

  @Test
  void trainResumeEvaluateAndCompressFromTheCommandLine() throws Exception {
    Path data = ToyData.write(dir.resolve("data"), 3, 4, 21);
    Path model = dir.resolve("m.onnx");
    assertEquals(0, run("build", "--width", "0.125", "--out", model.toString()).exit());
    Path trained = dir.resolve("t.onnx");
    String[] train = {"train", "--model", model.toString(), "--data", data.toString(), "--out", trained.toString(),
        "--epochs", "2", "--batch-size", "2", "--lr", "1e-3", "--json"};
    PrunerCommandTest.Run r = run(train);
    assertEquals(0, r.exit(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals(2, j.get("history").size());
    assertEquals(4, j.get("steps").asInt(), "1 training file of 4 samples, batch 2, 2 epochs");
    assertTrue(j.get("samples_per_second").asDouble() > 0);
    assertTrue(j.get("test").get("ssim").asDouble() > 0, "file 3 is the test part of the auto split");
    assertTrue(r.err().contains("epoch 2/2 loss"), r.err());
    byte[] first = Files.readAllBytes(trained);

    PrunerCommandTest.Run again = run(train);
    assertEquals(0, again.exit(), again.err());
    assertTrue(new ObjectMapper().readTree(again.out()).get("resumed").asBoolean());
    assertArrayEquals(first, Files.readAllBytes(trained), "a finished checkpoint gives the same model again");

    PrunerCommandTest.Run eval = run("evaluate", "--model", trained.toString(), "--data", data.toString(), "--files", "3");
    assertEquals(0, eval.exit(), eval.err());
    assertTrue(eval.out().contains("MAE ") && eval.out().contains("RMSE ") && eval.out().contains("SSIM "), eval.out());

    Path compressed = dir.resolve("c.onnx");
    PrunerCommandTest.Run c = run("compress", "--model", trained.toString(), "--data", data.toString(), "--ratio", "0.5",
        "--finetune-epochs", "1", "--retrain", "never", "--batch-size", "2", "--latency-runs", "2", "--out",
        compressed.toString(), "--json");
    assertEquals(0, c.exit(), c.err());
    JsonNode cj = new ObjectMapper().readTree(c.out());
    assertEquals("finetune", cj.get("method").asText());
    assertTrue(cj.get("after").get("params").asLong() < cj.get("before").get("params").asLong() / 3);
    assertTrue(Files.size(compressed) < Files.size(trained));
  }

  @Test
  void aFolderWithOneFileHasNothingToValidateOn() throws Exception {
    Path data = ToyData.write(dir.resolve("one"), 1, 2, 1);
    Path model = dir.resolve("m.onnx");
    run("build", "--width", "0.125", "--out", model.toString());
    PrunerCommandTest.Run r = run("train", "--model", model.toString(), "--data", data.toString(), "--out",
        dir.resolve("t.onnx").toString());
    assertEquals(2, r.exit());
    assertEquals("error: training needs at least one validation file, but the split of [1] by 'auto' leaves none "
        + "(a folder needs at least two file pairs)", r.err().strip());
  }

  @Test
  void evaluatingAMissingFileNamesIt() throws Exception {
    Path data = ToyData.write(dir.resolve("d"), 2, 2, 1);
    Path model = dir.resolve("m.onnx");
    run("build", "--width", "0.125", "--out", model.toString());
    PrunerCommandTest.Run r = run("evaluate", "--model", model.toString(), "--data", data.toString(), "--files", "9");
    assertEquals(2, r.exit());
    assertEquals("error: dataset " + data + " has no file pair number 9 (it has [1, 2])", r.err().strip());
  }
}
