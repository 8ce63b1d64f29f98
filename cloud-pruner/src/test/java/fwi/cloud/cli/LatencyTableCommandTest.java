package fwi.cloud.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fwi.cloud.latency.LatencyTable;
import fwi.cloud.latency.LayerGrid;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.model.OnnxModels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code pruner latency-table} as a user runs it, on a tiny InversionNet. */
class LatencyTableCommandTest {
  @TempDir
  Path dir;

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    CommandLine cl = new CommandLine(new LatencyTableCommand());
    cl.setExecutionExceptionHandler(PrunerMain.commandLine().getExecutionExceptionHandler());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void writesATableWithAGridForEveryLayerAndPrintsTheSummary() throws Exception {
    Path model = dir.resolve("m.onnx");
    Path table = dir.resolve("t.json");
    OnnxModels.write(InversionNet.build(InversionNetConfig.defaults().withWidth(0.0625)), model);
    Run r = run("--model", model.toString(), "--out", table.toString(), "--levels", "1,0.5", "--runs", "1",
        "--warmup", "0", "--calibrate", "0.5", "--json");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.err().contains("points"), "progress on stderr: " + r.err());
    JsonNode summary = new ObjectMapper().readTree(r.out());
    LatencyTable t = LatencyTable.read(table);
    assertEquals(25, t.layers().size());
    assertEquals(25, summary.get("layers").asInt());
    // first layer: fixed 5 inputs x {1, 2} outputs; last: {1, 2} inputs x fixed 1 output; the rest 2 x 2
    assertEquals(2 + 2 + 23 * 4, summary.get("gridPoints").asInt());
    LayerGrid first = t.layers().get(0);
    assertEquals(List.of(5), first.cinLevels());
    assertEquals(List.of(1, 2), first.coutLevels());
    assertEquals(List.of(1), t.layers().get(24).coutLevels());
    assertEquals(List.of(16, 32), t.layer("convblock8").orElseThrow().coutLevels());
    // full width and the InversionNet built at half the width were measured whole; with two points the
    // calibration line goes through both, unless noise gave it a slope <= 0 (the thinner model measured
    // slower, or its isolated layers summed slower): then it keeps scale 1 through full width only
    assertEquals(List.of(1.0, 0.5), t.calibration().stream().map(LatencyTable.CalibrationPoint::keep).toList());
    LatencyTable.CalibrationPoint full = t.calibration().get(0);
    LatencyTable.CalibrationPoint thin = t.calibration().get(1);
    double slope = (full.measuredMs() - thin.measuredMs()) / (full.layersMs() - thin.layersMs());
    List<LatencyTable.CalibrationPoint> fitted = slope > 0 ? t.calibration() : t.calibration().subList(0, 1);
    for (LatencyTable.CalibrationPoint p : fitted) {
      assertEquals(p.measuredMs(), t.predictMs(t.uniformChannels(p.keep())), 1e-6, "keep " + p.keep());
    }
    assertEquals(OnnxModels.sha256(Files.readAllBytes(model)), t.provenance().modelSha256());
    assertEquals(1, t.provenance().threads());
    // uniform keep 0.5 gives the channels of InversionNet built at half the width
    Map<String, int[]> half = t.uniformChannels(0.5);
    for (int i = 0; i < 25; i++) {
      InversionNet.LayerSpec l = InversionNet.LAYERS.get(i);
      assertArrayEquals(new int[] {InversionNet.channels(l.inChannels(), 0.03125, i == 0),
          InversionNet.channels(l.outChannels(), 0.03125, i == 24)}, half.get(l.name()), l.name());
    }
  }

  @Test
  void refusesLevelsWithoutFullWidthNamingThem() throws Exception {
    Path model = dir.resolve("m.onnx");
    OnnxModels.write(InversionNet.build(InversionNetConfig.defaults().withWidth(0.0625)), model);
    Run r = run("--model", model.toString(), "--out", dir.resolve("t.json").toString(), "--levels", "0.5,0.25");
    assertEquals(2, r.exit());
    assertEquals("error: levels must include 1 (full width) and at least one smaller keep fraction, but were [0.5, 0.25]",
        r.err().strip());
    assertTrue(Files.notExists(dir.resolve("t.json")));
  }
}
