package fwi.cloud.cli;

import static fwi.cloud.cli.PrunerCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fwi.cloud.cli.PrunerCommandTest.Run;
import fwi.runtime.npy.Npy;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code pruner dataset ...} as a user types it. */
class DatasetCommandTest {
  @TempDir
  Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"generate", "inspect", "render", "bench"})
  void everyDatasetCommandHasHelp(String command) {
    Run r = run("dataset", command, "--help");
    assertEquals(0, r.exit());
    assertTrue(r.out().contains("Usage: pruner dataset " + command), r.out());
  }

  @Test
  void generateInspectAndRenderAFaultDataset() throws Exception {
    Path ds = dir.resolve("fault");
    Run g = run("dataset", "generate", "--family", "fault", "--samples", "3", "--per-file", "2", "--seed", "4",
        "--out", ds.toString(), "--threads", "2");
    assertEquals(0, g.exit(), g.err());
    assertTrue(g.out().contains("done: 3 sample(s) made, 0 kept"), g.out());
    assertTrue(g.err().contains("3/3 samples"), "progress bar on stderr: " + g.err());

    Run again = run("dataset", "generate", "--family", "fault", "--samples", "3", "--per-file", "2", "--seed", "4",
        "--out", ds.toString());
    assertTrue(again.out().contains("done: 0 sample(s) made, 3 kept"), again.out());

    Run i = run("dataset", "inspect", ds.toString(), "--json");
    assertEquals(0, i.exit(), i.err());
    JsonNode j = new ObjectMapper().readTree(i.out());
    assertEquals(3, j.get("samples").asInt());
    assertEquals(2, j.get("files").size());
    assertEquals("[2, 5, 1000, 70]", j.get("files").get(0).get("data_shape").asText());
    assertEquals("fault", j.get("generated").get("family").asText());
    float[] models = Npy.read(ds.resolve("model1.npy")).data();
    float min = Float.MAX_VALUE;
    for (float v : models) {
      min = Math.min(min, v);
    }
    float min2 = Float.MAX_VALUE;
    for (float v : Npy.read(ds.resolve("model2.npy")).data()) {
      min2 = Math.min(min2, v);
    }
    assertEquals(Math.min(min, min2), j.get("velocity_ms").get("min").asDouble(), 1e-3);
    assertEquals(0, j.get("amplitude").get("non_finite").asInt());
    assertTrue(j.get("amplitude").get("max").asDouble() > 1, "modelled gathers have energy");

    Run text = run("dataset", "inspect", ds.toString());
    assertTrue(text.out().contains("3 samples in 2 file pair(s)"), text.out());

    Path gather = dir.resolve("g.png");
    Run rg = run("dataset", "render", "--input", ds.resolve("data1.npy").toString(), "--index", "1", "--out", gather.toString());
    assertEquals(0, rg.exit(), rg.err());
    BufferedImage gi = ImageIO.read(gather.toFile());
    assertTrue(gi.getWidth() > 5 * 280, "five shots side by side, width " + gi.getWidth());

    Path one = dir.resolve("s.png");
    assertEquals(0, run("dataset", "render", "--input", ds.resolve("data1.npy").toString(), "--shot", "2", "--out",
        one.toString()).exit());
    assertTrue(ImageIO.read(one.toFile()).getWidth() < gi.getWidth() / 3);

    Path vel = dir.resolve("v.png");
    Run rv = run("dataset", "render", "--input", ds.resolve("model2.npy").toString(), "--out", vel.toString());
    assertEquals(0, rv.exit(), rv.err());
    assertTrue(rv.out().contains("velocity map"), rv.out());
    assertTrue(ImageIO.read(vel.toFile()).getWidth() >= 420);
  }

  @Test
  void badInputsGetOneLineErrorsNamingTheValue() throws Exception {
    Run f = run("dataset", "generate", "--family", "salt", "--samples", "1", "--out", dir.toString());
    assertEquals(2, f.exit());
    assertEquals("error: velocity family must be one of flatvel, curvevel, fault, but was 'salt'", f.err().strip());

    Run a = run("dataset", "generate", "--family", "flatvel", "--samples", "1", "--out", dir.toString(), "--absorber", "sponge");
    assertEquals("error: --absorber must be cpml or damping, but was 'sponge'", a.err().strip());

    Path maps = dir.resolve("maps.npy");
    Npy.write(maps, fwi.runtime.tensor.FloatTensor.zeros(fwi.runtime.tensor.Shape.of(2, 1, 70, 70)));
    Run idx = run("dataset", "render", "--input", maps.toString(), "--index", "2", "--out", dir.resolve("x.png").toString());
    assertEquals(2, idx.exit());
    assertEquals("error: --index must be in [0, 2) for " + maps + ", but was 2", idx.err().strip());
    Run shot = run("dataset", "render", "--input", maps.toString(), "--shot", "1", "--out", dir.resolve("x.png").toString());
    assertEquals("error: --shot applies to gathers, but " + maps + " holds velocity maps of shape [1, 1, 70, 70]",
        shot.err().strip());

    Run missing = run("dataset", "inspect", dir.resolve("nothing").toString());
    assertEquals(2, missing.exit());
    assertEquals("error: " + dir.resolve("nothing") + ": not a directory", missing.err().strip());
  }
}
