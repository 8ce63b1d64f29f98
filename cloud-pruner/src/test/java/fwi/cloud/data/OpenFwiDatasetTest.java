package fwi.cloud.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fwi.runtime.npy.Npy;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenFwiDatasetTest {
  @TempDir
  Path dir;

  private void pair(int n, int samples) throws Exception {
    FloatTensor g = FloatTensor.zeros(Shape.of(samples, 5, 1000, 70));
    g.data()[0] = n;
    Npy.write(dir.resolve("data" + n + ".npy"), g);
    Npy.write(dir.resolve("model" + n + ".npy"), FloatTensor.zeros(Shape.of(samples, 1, 70, 70)));
  }

  @Test
  void opensEveryPairAndCountsSamples() throws Exception {
    pair(1, 2);
    pair(2, 3);
    Files.writeString(dir.resolve("README.txt"), "ignored");
    try (OpenFwiDataset d = OpenFwiDataset.open(dir)) {
      assertEquals(List.of(1, 2), d.fileNumbers());
      assertEquals(5, d.sampleCount(d.fileNumbers()));
      assertEquals(2f, d.pair(2).orElseThrow().data().samples(0, 1).data()[0]);
    }
  }

  @Test
  void refusesADataFileWithoutItsModelFile() throws Exception {
    pair(1, 2);
    Files.delete(dir.resolve("model1.npy"));
    DatasetException e = assertThrows(DatasetException.class, () -> OpenFwiDataset.open(dir));
    assertEquals(dir + ": model1.npy is missing for data1.npy", e.getMessage());
  }

  @Test
  void refusesGathersOfTheWrongShapeNamingFileAndShapes() throws Exception {
    pair(1, 2);
    Npy.write(dir.resolve("data1.npy"), FloatTensor.zeros(Shape.of(2, 5, 1000, 69)));
    DatasetException e = assertThrows(DatasetException.class, () -> OpenFwiDataset.open(dir));
    assertEquals("data1.npy: expected shape [n, 5, 1000, 70], but was [2, 5, 1000, 69]", e.getMessage());
  }

  @Test
  void refusesPairsWithDifferentSampleCounts() throws Exception {
    pair(3, 2);
    Npy.write(dir.resolve("model3.npy"), FloatTensor.zeros(Shape.of(4, 1, 70, 70)));
    DatasetException e = assertThrows(DatasetException.class, () -> OpenFwiDataset.open(dir));
    assertEquals("data3.npy holds 2 samples, but model3.npy holds 4", e.getMessage());
  }

  @Test
  void openFwiSplitTrainsOnFilesUpTo48AndTestsOnTheRest() {
    List<Integer> files = IntStream.rangeClosed(1, 60).boxed().toList();
    DatasetSplit s = DatasetSplit.openFwi(files);
    assertEquals(IntStream.rangeClosed(1, 48).boxed().toList(), s.train());
    assertEquals(IntStream.rangeClosed(49, 60).boxed().toList(), s.test());
    assertEquals(s.test(), s.validation());
  }

  @Test
  void fractionSplitGivesEveryPartAFileWhenThereAreThree() {
    DatasetSplit s = DatasetSplit.fractions(List.of(3, 1, 2), 0.8, 0.1);
    assertEquals(List.of(1), s.train());
    assertEquals(List.of(2), s.validation());
    assertEquals(List.of(3), s.test());
  }

  @Test
  void fractionSplitOfTenFiles() {
    DatasetSplit s = DatasetSplit.fractions(IntStream.rangeClosed(1, 10).boxed().toList(), 0.8, 0.1);
    assertArrayEquals(new int[] {8, 1, 1}, new int[] {s.train().size(), s.validation().size(), s.test().size()});
  }
}
