package fwi.cloud.latency;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatencyTableTest {
  @TempDir
  Path dir;

  /** Two layers: "a" reads the fixed network input (5 channels), "b" writes the fixed network output (1 channel). */
  static LatencyTable table() {
    LayerGrid a = new LayerGrid(LayerGridTest.key("a", 5, 8), List.of(5), List.of(4, 8), List.of(List.of(1.0, 2.0)));
    LayerGrid b = new LayerGrid(LayerGridTest.key("b", 8, 1), List.of(4, 8), List.of(1), List.of(List.of(0.5),
        List.of(0.75)));
    Map<String, LinearMacsModel.LayerMacs> macs = new LinkedHashMap<>();
    macs.put("a", LinearMacsModel.LayerMacs.of(a.key()));
    macs.put("b", LinearMacsModel.LayerMacs.of(b.key()));
    LatencyTable.Provenance p = new LatencyTable.Provenance("m.onnx", "ab".repeat(32), 1, 2, 7, "1.29.0",
        "Some CPU (2 logical CPUs)", "2025-01-01T00:00:00Z", 1.5);
    List<LatencyTable.CalibrationPoint> cal = List.of(new LatencyTable.CalibrationPoint(1.0, 2000, 2.75, 3.0));
    return new LatencyTable(LatencyTable.FORMAT, p, List.of(1.0, 0.5), 3.0, 0.25, 1.0, cal, List.of(a, b),
        new LinearMacsModel(0.5, 1e-6, macs));
  }

  @Test
  void predictsTheSumOfTheLayersPlusOverhead() {
    LatencyTable t = table();
    assertEquals(2.0 + 0.75 + 0.25, t.predictMs(Map.of()), 1e-12);
    assertEquals(1.0 + 0.5 + 0.25, t.predictMs(Map.of("a", new int[] {5, 4}, "b", new int[] {4, 1})), 1e-12);
    assertEquals(1.5 + 0.625, t.layersMs(Map.of("a", new int[] {5, 6}, "b", new int[] {6, 1})), 1e-12);
    assertEquals(1.5, t.predictMs("a", 5, 6), 1e-12);
  }

  @Test
  void scalesTheLayerSumByTheCalibratedFactor() {
    LatencyTable t = table();
    LatencyTable scaled = new LatencyTable(t.format(), t.provenance(), t.levels(), t.modelMs(), 0.5, 0.8,
        t.calibration(), t.layers(), t.linearFit());
    assertEquals(0.5 + 0.8 * (1.0 + 0.5), scaled.predictMs(Map.of("a", new int[] {5, 4}, "b", new int[] {4, 1})),
        1e-12);
  }

  @Test
  void uniformChannelsKeepTheFixedNetworkInputAndOutput() {
    Map<String, int[]> c = table().uniformChannels(0.5);
    assertArrayEquals(new int[] {5, 4}, c.get("a"));
    assertArrayEquals(new int[] {4, 1}, c.get("b"));
  }

  @Test
  void refusesUnknownLayersNamingThem() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> table().predictMs(Map.of("c", new int[] {1, 1})));
    assertEquals("unknown layer 'c'; the latency table has [a, b]", e.getMessage());
  }

  @Test
  void survivesAJsonRoundTrip() throws Exception {
    Path f = dir.resolve("t.json");
    table().write(f);
    assertEquals(table(), LatencyTable.read(f));
    assertEquals(1, new ObjectMapper().readTree(f.toFile()).get("format").asInt());
  }

  @Test
  void malformedJsonIsRefusedNamingTheFile() throws Exception {
    Path f = dir.resolve("bad.json");
    Files.writeString(f, "{\"format\": 1, \"layers\": [");
    IOException e = assertThrows(IOException.class, () -> LatencyTable.read(f));
    assertTrue(e.getMessage().startsWith(f + ": not JSON: "), e.getMessage());
  }

  @Test
  void anotherFormatNumberIsRefusedByNumber() throws Exception {
    Path f = dir.resolve("v2.json");
    ObjectNode root = (ObjectNode) new ObjectMapper().readTree(table().toJson());
    root.put("format", 2);
    Files.writeString(f, root.toString());
    IOException e = assertThrows(IOException.class, () -> LatencyTable.read(f));
    assertEquals(f + ": latency table format 2 is not supported; this build reads format 1", e.getMessage());
  }

  @Test
  void jsonWithoutAFormatIsNotALatencyTable() throws Exception {
    Path f = dir.resolve("other.json");
    Files.writeString(f, "{\"layers\": []}");
    IOException e = assertThrows(IOException.class, () -> LatencyTable.read(f));
    assertEquals(f + ": not a latency table: field 'format' must be the number 1, but was missing", e.getMessage());
  }

  @Test
  void aGridOfTheWrongSizeIsRefusedNamingFileAndLayer() throws Exception {
    Path f = dir.resolve("short.json");
    ObjectNode root = (ObjectNode) new ObjectMapper().readTree(table().toJson());
    ((ObjectNode) root.get("layers").get(0)).putArray("ms").addArray().add(1.0);
    Files.writeString(f, root.toString());
    IOException e = assertThrows(IOException.class, () -> LatencyTable.read(f));
    assertTrue(e.getMessage().startsWith(f + ": invalid latency table"), e.getMessage());
    assertTrue(e.getMessage().endsWith("layer 'a': ms row 0 must have one value per cout level (2), but has 1"),
        e.getMessage());
  }

  @Test
  void aMissingFieldIsRefusedNamingIt() throws Exception {
    Path f = dir.resolve("missing.json");
    ObjectNode root = (ObjectNode) new ObjectMapper().readTree(table().toJson());
    root.remove("overheadMs");
    Files.writeString(f, root.toString());
    IOException e = assertThrows(IOException.class, () -> LatencyTable.read(f));
    assertTrue(e.getMessage().startsWith(f + ": invalid latency table"), e.getMessage());
    assertTrue(e.getMessage().contains("'overheadMs'"), e.getMessage());
  }
}
