package fwi.cloud.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.data.DatasetException;
import fwi.cloud.data.OpenFwiDataset;
import fwi.runtime.npy.Npy;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetGeneratorTest {
  /** OpenFWI geometry with a short record, so the tests stay quick. */
  private static DatasetGenerator.Request small(long seed) {
    return DatasetGenerator.Request.openFwi(VelocityFamily.CURVEVEL, 5, 2, seed)
        .withSettings(FdSettings.openFwi().withSteps(120));
  }

  @Test
  void writesNumberedFilePairsHoldingEachSamplesModelAndGather(@TempDir Path dir) throws IOException {
    List<Integer> progress = new ArrayList<>();
    DatasetGenerator.Summary s = new DatasetGenerator(2).generate(small(1), dir, (done, total, cells, ns) -> progress.add(done));
    assertEquals(5, s.made());
    assertEquals(0, s.kept());
    assertEquals(List.of(1, 2, 3, 4, 5), progress);
    assertEquals(5L * small(1).cellUpdatesPerSample(), s.cellUpdates());
    assertEquals(Shape.of(2, 5, 120, 70), Npy.read(dir.resolve("data1.npy")).shape());
    assertEquals(Shape.of(1, 1, 70, 70), Npy.read(dir.resolve("model3.npy")).shape());
    // the model file holds sample 4's velocities and the data file its gather
    FloatTensor models = Npy.read(dir.resolve("model3.npy"));
    VelocityGrid m4 = DatasetGenerator.model(small(1), 4);
    assertArrayEquals(m4.v(), models.data());
    FloatTensor gathers = Npy.read(dir.resolve("data3.npy"));
    assertArrayEquals(DatasetGenerator.gather(m4, small(1).settings(), small(1).acquisition()).data(), gathers.data());
    assertTrue(Files.isRegularFile(dir.resolve(DatasetGenerator.MANIFEST)));
    try (var files = Files.list(dir)) {
      assertFalse(files.anyMatch(p -> p.toString().endsWith(".partial")), "no temporary files left");
    }
  }

  @Test
  void fullSizeOutputOpensAsAnOpenFwiDataset(@TempDir Path dir) throws IOException {
    new DatasetGenerator(2).generate(DatasetGenerator.Request.openFwi(VelocityFamily.FAULT, 2, 1, 5), dir, (a, b, c, d) -> { });
    try (OpenFwiDataset ds = OpenFwiDataset.open(dir)) {
      assertEquals(List.of(1, 2), ds.fileNumbers());
      assertEquals(Shape.of(1, 5, 1000, 70), ds.pair(1).orElseThrow().data().shape());
      assertEquals(Shape.of(1, 1, 70, 70), ds.pair(2).orElseThrow().model().shape());
    }
  }

  @Test
  void sameSeedGivesTheSameBytesWhateverTheThreadCount(@TempDir Path dir) throws IOException {
    new DatasetGenerator(1).generate(small(7), dir.resolve("a"), (a, b, c, d) -> { });
    new DatasetGenerator(2).generate(small(7), dir.resolve("b"), (a, b, c, d) -> { });
    new DatasetGenerator(2).generate(small(8), dir.resolve("c"), (a, b, c, d) -> { });
    for (String f : new String[] {"data1.npy", "model1.npy", "data3.npy", "model3.npy"}) {
      assertArrayEquals(Files.readAllBytes(dir.resolve("a").resolve(f)), Files.readAllBytes(dir.resolve("b").resolve(f)), f);
    }
    assertFalse(java.util.Arrays.equals(Files.readAllBytes(dir.resolve("a/model1.npy")), Files.readAllBytes(dir.resolve("c/model1.npy"))),
        "another seed gives other models");
  }

  @Test
  void rerunKeepsFinishedFilesAndRemakesMissingOnes(@TempDir Path dir) throws IOException {
    new DatasetGenerator(2).generate(small(3), dir, (a, b, c, d) -> { });
    byte[] second = Files.readAllBytes(dir.resolve("data2.npy"));
    Files.delete(dir.resolve("data2.npy"));
    DatasetGenerator.Summary s = new DatasetGenerator(2).generate(small(3), dir, (a, b, c, d) -> { });
    assertEquals(2, s.made());
    assertEquals(3, s.kept());
    assertArrayEquals(second, Files.readAllBytes(dir.resolve("data2.npy")));
  }

  @Test
  void refusesAFolderHoldingADifferentDataset(@TempDir Path dir) throws IOException {
    new DatasetGenerator(1).generate(small(3), dir, (a, b, c, d) -> { });
    DatasetException e = assertThrows(DatasetException.class,
        () -> new DatasetGenerator(1).generate(small(4), dir, (a, b, c, d) -> { }));
    assertEquals(dir + " already holds a dataset generated differently (seed 3 -> 4); choose another folder or delete it",
        e.getMessage());
  }

  @Test
  void refusesAFolderWithForeignNpyFiles(@TempDir Path dir) throws IOException {
    Npy.write(dir.resolve("data1.npy"), FloatTensor.zeros(Shape.of(1, 2)));
    DatasetException e = assertThrows(DatasetException.class,
        () -> new DatasetGenerator(1).generate(small(3), dir, (a, b, c, d) -> { }));
    assertEquals(dir + " already holds .npy files not made by this generator (data1.npy); choose an empty folder", e.getMessage());
  }

  @Test
  void rejectsBadRequestsNamingTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DatasetGenerator.Request.openFwi(VelocityFamily.FLATVEL, 0, 500, 1));
    assertEquals("samples must be at least 1, but was 0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> DatasetGenerator.Request.openFwi(VelocityFamily.FLATVEL, 10, 500, 1).withSettings(FdSettings.openFwi().withStepS(0.002)));
    assertTrue(e.getMessage().startsWith("unstable finite-difference settings: Courant number v_max*dt/dx = 0.9000"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new DatasetGenerator(0));
    assertEquals("threads must be at least 1, but was 0", e.getMessage());
  }
}
