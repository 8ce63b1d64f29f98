package fwi.cloud.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fwi.runtime.npy.Npy;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** The {@code pruner} command line as a user types it. */
class PrunerCommandTest {
  @TempDir
  Path dir;

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    CommandLine cl = PrunerMain.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"build", "describe", "infer", "random-input", "bench", "prune", "groups", "sweep", "profile", "latency-table",
      "train", "finetune", "compress", "evaluate", "train-bench", "bridge", "fleet-sim"})
  void everyCommandHasHelp(String command) {
    Run r = run(command, "--help");
    assertEquals(0, r.exit());
    assertTrue(r.out().contains("Usage: pruner " + command), "help output was: [" + r.out() + "]");
  }

  @Test
  void buildThenDescribeAsJsonReportsTopLevelParamsAndMacs() throws Exception {
    Path model = dir.resolve("m.onnx");
    assertEquals(0, run("build", "--width", "0.25", "--out", model.toString()).exit());
    Run d = run("describe", "--model", model.toString(), "--json");
    assertEquals(0, d.exit(), d.err());
    JsonNode json = new ObjectMapper().readTree(d.out());
    assertEquals(fwi.cloud.model.InversionNetTest.oracleParamsFor(0.25), json.get("params").asLong());
    assertEquals(fwi.cloud.model.InversionNetTest.oracleMacsFor(0.25), json.get("macs").asLong());
    assertEquals(25, json.get("layers").size());
    assertEquals("convblock1", json.get("layers").get(0).get("name").asText());
  }

  @Test
  void buildWithOpsetAndFoldBnWritesAFoldedModelOfThatOpset() throws Exception {
    Path model = dir.resolve("m.onnx");
    Run b = run("build", "--width", "0.25", "--opset", "13", "--fold-bn", "--out", model.toString());
    assertEquals(0, b.exit(), b.err());
    assertTrue(b.out().contains("opset 13, BatchNorm folded"), b.out());
    Run d = run("describe", "--model", model.toString(), "--json");
    assertEquals(0, d.exit(), d.err());
    JsonNode json = new ObjectMapper().readTree(d.out());
    assertEquals(13, json.get("opset").asLong());
    assertEquals("true", json.get("metadata").get("fwi.model.bn_folded").asText());
    assertEquals(0, json.get("buffers").asLong());
    // Folding removes BatchNorm scale and shift, which hold as many values as its mean and variance.
    long bnBuffers = fwi.cloud.graph.ModelCounter.count(
        fwi.cloud.model.InversionNet.build(fwi.cloud.model.InversionNetConfig.defaults().withWidth(0.25))).buffers();
    assertEquals(fwi.cloud.model.InversionNetTest.oracleParamsFor(0.25) - bnBuffers, json.get("params").asLong());
    assertEquals(fwi.cloud.model.InversionNetTest.oracleMacsFor(0.25), json.get("macs").asLong());
    assertEquals(25, json.get("layers").size());
  }

  @Test
  void buildRefusesAnOpsetBelowElevenNamingTheValue() {
    Run r = run("build", "--width", "0.125", "--opset", "10", "--out", dir.resolve("x.onnx").toString());
    assertEquals(2, r.exit());
    assertEquals("error: opset must be in [11, 17], but was 10", r.err().strip());
    assertTrue(Files.notExists(dir.resolve("x.onnx")));
  }

  @Test
  void describePrintsATableWithTotals() throws Exception {
    Path model = dir.resolve("m.onnx");
    run("build", "--width", "0.125", "--out", model.toString());
    Run d = run("describe", "--model", model.toString());
    assertEquals(0, d.exit(), d.err());
    assertTrue(d.out().contains("deconv1_1        ConvTranspose"), d.out());
    assertTrue(d.out().contains("trainable params"), d.out());
  }

  @Test
  void inferWritesVelocityMapsForEveryGather() throws Exception {
    Path model = dir.resolve("m.onnx");
    Path in = dir.resolve("g.npy");
    Path out = dir.resolve("v.npy");
    run("build", "--width", "0.125", "--out", model.toString());
    assertEquals(0, run("random-input", "--count", "3", "--out", in.toString()).exit());
    Run r = run("infer", "--model", model.toString(), "--input", in.toString(), "--out", out.toString(), "--threads", "1",
        "--json");
    assertEquals(0, r.exit(), r.err());
    FloatTensor v = Npy.read(out);
    assertEquals(Shape.of(3, 1, 70, 70), v.shape());
    JsonNode json = new ObjectMapper().readTree(r.out());
    assertEquals(3, json.get("samples").asInt());
    assertTrue(json.get("velocityMinMps").asDouble() >= 1500, r.out());
    assertTrue(json.get("velocityMaxMps").asDouble() <= 4500, r.out());
  }

  @Test
  void buildRefusesZeroWidthNamingTheValue() {
    Run r = run("build", "--width", "0", "--out", dir.resolve("x.onnx").toString());
    assertEquals(2, r.exit());
    assertEquals("error: width must be in (0, 2], but was 0.0", r.err().strip());
    assertTrue(Files.notExists(dir.resolve("x.onnx")));
  }

  @Test
  void inferRefusesGathersOfTheWrongShapeNamingIt() throws Exception {
    Path model = dir.resolve("m.onnx");
    Path in = dir.resolve("bad.npy");
    run("build", "--width", "0.125", "--out", model.toString());
    Npy.write(in, FloatTensor.zeros(Shape.of(2, 5, 1000, 69)));
    Run r = run("infer", "--model", model.toString(), "--input", in.toString(), "--threads", "1");
    assertEquals(2, r.exit());
    assertEquals("error: " + in + ": input 'gathers' must have shape [N, 5, 1000, 70], but was [2, 5, 1000, 69]",
        r.err().strip());
  }

  @Test
  void inferRefusesNanInputNamingSampleAndIndex() throws Exception {
    Path model = dir.resolve("m.onnx");
    Path in = dir.resolve("nan.npy");
    run("build", "--width", "0.125", "--out", model.toString());
    FloatTensor g = FloatTensor.zeros(Shape.of(2, 5, 1000, 70));
    g.data()[350_000 + 12] = Float.NaN;
    Npy.write(in, g);
    Run r = run("infer", "--model", model.toString(), "--input", in.toString());
    assertEquals(2, r.exit());
    assertEquals("error: " + in + ": sample 1 holds NaN at flat index 12; inputs must be finite", r.err().strip());
  }

  @Test
  void describeRefusesAFileThatIsNotAModel() throws Exception {
    Path junk = dir.resolve("junk.onnx");
    Files.writeString(junk, "definitely not protobuf");
    Run r = run("describe", "--model", junk.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().startsWith("error: " + junk + ": not an ONNX model"), r.err());
  }
}
