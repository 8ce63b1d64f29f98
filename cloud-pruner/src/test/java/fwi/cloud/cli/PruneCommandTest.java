package fwi.cloud.cli;

import static fwi.cloud.cli.PrunerCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.prune.PruneMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pruner prune}, {@code groups} and {@code sweep} as a user runs them. */
class PruneCommandTest {
  @TempDir
  Path dir;
  Path model;

  @BeforeEach
  void buildModel() {
    model = dir.resolve("base.onnx");
    assertEquals(0, run("build", "--width", "0.25", "--out", model.toString()).exit());
  }

  @Test
  void pruneAsJsonReportsCountsMatchingTheWrittenModel() throws Exception {
    Path out = dir.resolve("pruned.onnx");
    PrunerCommandTest.Run r = run("prune", "--model", model.toString(), "--ratio", "0.5", "--out", out.toString(), "--json");
    assertEquals(0, r.exit(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    var after = ModelCounter.count(OnnxModels.read(out));
    assertEquals(ModelCounter.count(OnnxModels.read(model)).params(), j.get("params_before").asLong());
    assertEquals(after.params(), j.get("params_after").asLong());
    assertEquals(after.macs(), j.get("macs_after").asLong());
    assertTrue(j.get("macs_before").asLong() > 3 * j.get("macs_after").asLong());
    assertTrue(j.get("prune_ms").asDouble() > 0);
    assertEquals(8, j.get("channels").get("convblock1").get(0).asInt());
    assertEquals(4, j.get("channels").get("convblock1").get(1).asInt());
    assertEquals(OnnxModels.sha256(Files.readAllBytes(model)),
        OnnxModels.metadata(OnnxModels.read(out), PruneMetadata.BASE_SHA256).orElseThrow());
  }

  @Test
  void perLayerFileAndRoundToShapeTheKeptCounts() throws Exception {
    Path layers = dir.resolve("layers.json");
    Files.writeString(layers, "{\"*\": 0.25, \"convblock8\": 0.9}");
    Path out = dir.resolve("p.onnx");
    PrunerCommandTest.Run r = run("prune", "--model", model.toString(), "--layers", layers.toString(), "--round-to", "4",
        "--out", out.toString(), "--json");
    assertEquals(0, r.exit(), r.err());
    JsonNode ch = new ObjectMapper().readTree(r.out()).get("channels");
    assertEquals(12, ch.get("convblock2_1").get(1).asInt(), "16 * 0.75 = 12");
    assertEquals(12, ch.get("convblock8").get(1).asInt(), "128 * 0.1 = 12.8 -> 13 -> 12");
  }

  @Test
  void progressiveStepsWriteEveryIntermediateModel() throws Exception {
    Path out = dir.resolve("p.onnx");
    PrunerCommandTest.Run r = run("prune", "--model", model.toString(), "--ratio", "0.75", "--steps", "3",
        "--out", out.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(Files.exists(dir.resolve("p.step1.onnx")));
    assertTrue(Files.exists(dir.resolve("p.step2.onnx")));
    assertFalse(Files.exists(dir.resolve("p.step3.onnx")), "the last step is --out itself");
    assertTrue(ModelCounter.count(OnnxModels.read(dir.resolve("p.step2.onnx"))).params()
        > ModelCounter.count(OnnxModels.read(out)).params());
  }

  @Test
  void badRatioAndUnknownLayerFailNamingTheValue() throws Exception {
    PrunerCommandTest.Run r = run("prune", "--model", model.toString(), "--ratio", "1.5", "--out", dir.resolve("x.onnx").toString());
    assertEquals(2, r.exit());
    assertEquals("error: pruning ratio must be in [0, 1), but was 1.5", r.err().strip());
    Path layers = dir.resolve("bad.json");
    Files.writeString(layers, "{\"deconv6\": 0.5}");
    PrunerCommandTest.Run f = run("prune", "--model", model.toString(), "--layers", layers.toString(), "--out",
        dir.resolve("x.onnx").toString());
    assertEquals(2, f.exit());
    assertEquals("error: layer 'deconv6' cannot be pruned: channels of graph output 'velocity'", f.err().strip());
    assertFalse(Files.exists(dir.resolve("x.onnx")));
  }

  @Test
  void groupsListsPrunableAndFrozenGroups() {
    PrunerCommandTest.Run r = run("groups", "--model", model.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("convblock1"), r.out());
    assertTrue(r.out().contains("channels of graph input 'gathers'"), r.out());
    assertTrue(r.out().strip().endsWith("26 groups, 24 prunable"), r.out());
  }

  @Test
  void sweepMeasuresEveryRatioBesideTheUnprunedModel() throws Exception {
    PrunerCommandTest.Run r = run("sweep", "--model", model.toString(), "--ratios", "0.5,0.875", "--runs", "3",
        "--warmup", "1", "--json");
    assertEquals(0, r.exit(), r.err());
    JsonNode rows = new ObjectMapper().readTree(r.out());
    assertEquals(3, rows.size());
    assertEquals(0.0, rows.get(0).get("ratio").asDouble());
    assertEquals(0.875, rows.get(2).get("ratio").asDouble());
    for (JsonNode row : rows) {
      assertTrue(row.get("latency_ms_p50").asDouble() > 0);
      assertTrue(row.get("latency_ms_p95").asDouble() >= row.get("latency_ms_p50").asDouble());
    }
    assertTrue(rows.get(2).get("macs").asLong() < rows.get(1).get("macs").asLong());
    assertTrue(rows.get(2).get("params_reduction").asDouble() > 0.98);
  }

  @Test
  void latencyPlanMeetsItsTargetUnderTheMeasuredTable() throws Exception {
    Path table = dir.resolve("table.json");
    PrunerCommandTest.Run t = run("latency-table", "--model", model.toString(), "--out", table.toString(), "--levels",
        "1,0.5,0.25", "--runs", "3", "--warmup", "1", "--calibrate", "0.5,0.25");
    assertEquals(0, t.exit(), t.err());
    fwi.cloud.latency.LatencyTable tab = fwi.cloud.latency.LatencyTable.read(table);
    double full = tab.predictMs(java.util.Map.of());
    // Halfway between the full model and the thinnest tabled width, by the table's own prediction: a
    // target the table says is reachable however noisy the machine was while it was measured (a fixed
    // fraction of the full latency is not, when fixed overhead dominates a tiny model).
    double thinnest = tab.predictMs(tab.uniformChannels(0.25));
    Path out = dir.resolve("fast.onnx");
    String target = String.format(java.util.Locale.ROOT, "%.4f", (full + thinnest) / 2);
    PrunerCommandTest.Run r = run("prune", "--model", model.toString(), "--plan", "latency", "--target-ms", target,
        "--latency-table", table.toString(), "--out", out.toString(), "--json");
    assertEquals(0, r.exit(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertTrue(j.get("settings").get("predicted_ms").asDouble() <= Double.parseDouble(target), r.out());
    assertTrue(j.get("macs_after").asLong() < j.get("macs_before").asLong());
    assertEquals("greedy", j.get("settings").get("latency_method").asText());
    Path knapsackOut = dir.resolve("knapsack.onnx");
    PrunerCommandTest.Run k = run("prune", "--model", model.toString(), "--plan", "latency", "--target-ms", target,
        "--latency-table", table.toString(), "--latency-method", "knapsack", "--out", knapsackOut.toString(), "--json");
    assertEquals(0, k.exit(), k.err());
    JsonNode kj = new ObjectMapper().readTree(k.out()).get("settings");
    assertEquals("knapsack", kj.get("latency_method").asText());
    assertTrue(kj.get("predicted_ms").asDouble() <= Double.parseDouble(target), k.out());
    assertTrue(kj.get("retained_importance").asDouble() >= j.get("settings").get("retained_importance").asDouble(),
        k.out() + " retains less than " + r.out());
    assertTrue(Files.exists(knapsackOut));
    PrunerCommandTest.Run missing = run("prune", "--model", model.toString(), "--plan", "latency", "--out",
        out.toString());
    assertEquals("error: --plan latency needs --target-ms and --latency-table (see 'pruner latency-table')",
        missing.err().strip());
    PrunerCommandTest.Run unknown = run("prune", "--model", model.toString(), "--plan", "latency", "--target-ms",
        target, "--latency-table", table.toString(), "--latency-method", "annealing", "--out",
        dir.resolve("x.onnx").toString());
    assertEquals(2, unknown.exit());
    assertEquals("error: --latency-method must be greedy or knapsack, but was 'annealing'", unknown.err().strip());
    assertFalse(Files.exists(dir.resolve("x.onnx")));
  }

  @Test
  void sensitivityPlanOnSyntheticCalibrationGathersMeetsTheUniformMacs() throws Exception {
    Path out = dir.resolve("s.onnx");
    Path uni = dir.resolve("u.onnx");
    assertEquals(0, run("prune", "--model", model.toString(), "--ratio", "0.5", "--out", uni.toString()).exit());
    PrunerCommandTest.Run r = run("prune", "--model", model.toString(), "--plan", "sensitivity", "--ratio", "0.5",
        "--calibration-samples", "1", "--out", out.toString(), "--json");
    assertEquals(0, r.exit(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertTrue(j.get("macs_after").asLong() <= ModelCounter.count(OnnxModels.read(uni)).macs(), r.out());
    assertTrue(j.get("settings").get("sensitivity").asText().contains("convblock1:"), r.out());
  }
}
