package fwi.edge.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.edge.inference.Inference;
import fwi.edge.inference.ModelInfo;
import fwi.edge.testing.TestModels;
import fwi.runtime.npy.Npy;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.segy.SegySampleFormat;
import fwi.runtime.segy.SegyWriteOptions;
import fwi.runtime.segy.SegyWriter;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatchedDirectoryTest {
  @TempDir
  Path dir;

  private Inference inference(List<String> seen) throws Exception {
    Inference inf = new Inference(4, 1 << 20, 16);
    inf.install(ModelRunner.open(TestModels.unary("Neg", -1, 4), new RunnerOptions(1), "neg"),
        new ModelInfo("neg", 1, "0".repeat(64)));
    inf.addListener(o -> seen.add(o.inputId()));
    return inf;
  }

  @Test
  void processesEachStableFileOnceAndMovesItToDone() throws Exception {
    List<String> seen = new ArrayList<>();
    try (Inference inf = inference(seen)) {
      WatchedDirectory w = new WatchedDirectory(dir, inf);
      Npy.write(dir.resolve("batch.npy"), new FloatTensor(Shape.of(3, 4), new float[12]));
      Npy.write(dir.resolve("one.npy"), new FloatTensor(Shape.of(4), new float[4]));
      Files.writeString(dir.resolve("notes.txt"), "not a shot file");
      assertEquals(new WatchedDirectory.ScanResult(0, 0, false), w.scan(), "first sight: not yet stable");
      assertEquals(new WatchedDirectory.ScanResult(2, 0, false), w.scan());
      assertEquals(List.of("batch.npy#0", "batch.npy#1", "batch.npy#2", "one.npy"), seen.stream().sorted().toList());
      assertTrue(Files.exists(dir.resolve("done/batch.npy")));
      assertTrue(Files.exists(dir.resolve("done/one.npy")));
      assertTrue(Files.exists(dir.resolve("notes.txt")));
      assertEquals(new WatchedDirectory.ScanResult(0, 0, false), w.scan());
      assertEquals(4, seen.size());
    }
  }

  @Test
  void movesBadFilesToFailedWithTheReason() throws Exception {
    List<String> seen = new ArrayList<>();
    try (Inference inf = inference(seen)) {
      WatchedDirectory w = new WatchedDirectory(dir, inf);
      Npy.write(dir.resolve("shape.npy"), new FloatTensor(Shape.of(1, 5), new float[5]));
      Npy.write(dir.resolve("nan.npy"), new FloatTensor(Shape.of(2, 4), new float[] {0, 0, 0, 0, 0, 0, Float.NaN, 0}));
      Files.write(dir.resolve("junk.sgy"), new byte[100]);
      w.scan();
      assertEquals(3, w.scan().failed());
      assertEquals("input 'shape.npy#0' must have shape [N, 4] (or [4] for one sample), but was [1, 5]\n",
          Files.readString(dir.resolve("failed/shape.npy.reason.txt")));
      assertEquals("input 'nan.npy#1' has value NaN at [0, 2]; every value must be finite\n",
          Files.readString(dir.resolve("failed/nan.npy.reason.txt")));
      assertTrue(Files.readString(dir.resolve("failed/junk.sgy.reason.txt")).startsWith("junk.sgy: cannot read: "));
      assertEquals(List.of("nan.npy#0"), seen, "the good sample of a partly bad file still gives its result");
      assertFalse(Files.exists(dir.resolve("nan.npy")));
    }
  }

  @Test
  void readsSegyShotFilesAsOneSample() throws Exception {
    List<String> seen = new ArrayList<>();
    try (Inference inf = new Inference(4, 1 << 24, 16)) {
      inf.install(ModelRunner.open(TestModels.unary("Neg", -1, 5, 1000, 70), new RunnerOptions(1), "neg"),
          new ModelInfo("neg", 1, "0".repeat(64)));
      List<float[]> outputs = new ArrayList<>();
      inf.addListener(o -> {
        seen.add(o.inputId());
        outputs.add(o.output().data());
      });
      FloatTensor gathers = new SyntheticGathers(3).next().gathers();
      new SegyWriter(SegyWriteOptions.openFwi(SegySampleFormat.IEEE_FLOAT)).write(gathers, dir.resolve("line7.sgy"));
      WatchedDirectory w = new WatchedDirectory(dir, inf);
      w.scan();
      assertEquals(new WatchedDirectory.ScanResult(1, 0, false), w.scan());
      assertEquals(List.of("line7.sgy"), seen);
      assertEquals(-gathers.data()[12345], outputs.get(0)[12345], 1e-6f);
      assertTrue(Files.exists(dir.resolve("done/line7.sgy")));
    }
  }

  @Test
  void leavesFilesInPlaceUntilAModelIsLoaded() throws Exception {
    try (Inference inf = new Inference(4, 1 << 20, 16)) {
      WatchedDirectory w = new WatchedDirectory(dir, inf);
      Npy.write(dir.resolve("wait.npy"), new FloatTensor(Shape.of(4), new float[4]));
      w.scan();
      assertTrue(w.scan().waitingForModel());
      assertTrue(Files.exists(dir.resolve("wait.npy")));
    }
  }
}
