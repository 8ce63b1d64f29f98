package fwi.cloud.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.model.OnnxModels;
import java.io.EOFException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {
  @TempDir
  Path dir;

  private static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  @Test
  void storesBytesUnderTheirSha256AndReturnsTheSameAddressAgain() throws Exception {
    ModelStore store = new ModelStore(dir);
    byte[] model = bytes(100_000, 1);

    String sha = store.put(model);
    String again = store.put(model);

    assertEquals(OnnxModels.sha256(model), sha);
    assertEquals(sha, again);
    assertArrayEquals(model, Files.readAllBytes(dir.resolve("blobs").resolve(sha + ".onnx")));
    assertEquals(List.of(sha), store.list());
    assertTrue(store.exists(sha));
    assertEquals(OptionalLong.of(100_000), store.size(sha));
  }

  @Test
  void storesAFileByStreamingItAndLeavesNoTemporaryFiles() throws Exception {
    ModelStore store = new ModelStore(dir.resolve("store"));
    byte[] model = bytes(300_001, 2);
    Path file = Files.write(dir.resolve("model.onnx"), model);

    String sha = store.put(file);

    assertEquals(OnnxModels.sha256(model), sha);
    assertEquals(sha, store.put(model));
    try (Stream<Path> s = Files.list(dir.resolve("store").resolve("blobs"))) {
      assertEquals(List.of(sha + ".onnx"), s.map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void readsAnyRangeWithoutLoadingTheFile() throws Exception {
    ModelStore store = new ModelStore(dir);
    byte[] model = bytes(70_000, 3);
    String sha = store.put(model);

    assertArrayEquals(Arrays.copyOfRange(model, 65_536, 70_000), store.read(sha, 65_536, 4_464));
    assertArrayEquals(Arrays.copyOfRange(model, 0, 10), store.read(sha, 0, 10));
    assertEquals(0, store.read(sha, 70_000, 0).length);
  }

  @Test
  void refusesARangePastTheEndNamingIt() throws Exception {
    ModelStore store = new ModelStore(dir);
    String sha = store.put(bytes(1000, 4));

    EOFException e = assertThrows(EOFException.class, () -> store.read(sha, 900, 200));

    assertEquals(store.path(sha) + ": bytes [900, 1100) run past the end of the 1000-byte file", e.getMessage());
  }

  @Test
  void answersAbsentForAFileItDoesNotHave() throws Exception {
    ModelStore store = new ModelStore(dir);
    String sha = "0".repeat(64);

    assertFalse(store.exists(sha));
    assertEquals(OptionalLong.empty(), store.size(sha));
    assertThrows(NoSuchFileException.class, () -> store.read(sha, 0, 1));
  }

  @Test
  void refusesAnAddressThatIsNotASha256SoNoPathEscapesTheStore() throws Exception {
    ModelStore store = new ModelStore(dir);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.path("../../etc/passwd"));

    assertEquals("model sha256 must be 64 lower-case hex digits, but was '../../etc/passwd'", e.getMessage());
  }

  @Test
  void detectsAFileWhoseBytesChangedOnDisk() throws Exception {
    ModelStore store = new ModelStore(dir);
    byte[] model = bytes(5000, 5);
    String sha = store.put(model);
    byte[] changed = model.clone();
    changed[4000] ^= 1;
    Files.write(store.path(sha), changed);

    ModelIntegrityException e = assertThrows(ModelIntegrityException.class, () -> store.readVerified(sha));

    assertEquals(sha, e.expectedSha256());
    assertEquals(OnnxModels.sha256(changed), e.actualSha256());
    assertEquals(store.path(sha) + ": sha256 must be " + sha + ", but was " + OnnxModels.sha256(changed), e.getMessage());
    assertThrows(ModelIntegrityException.class, () -> store.blockSha256(sha, 1024));
  }

  @Test
  void replacesAStoredFileOfTheWrongSizeWhenTheBytesAreStoredAgain() throws Exception {
    ModelStore store = new ModelStore(dir);
    byte[] model = bytes(5000, 6);
    String sha = store.put(model);
    Files.write(store.path(sha), Arrays.copyOf(model, 4096));

    store.put(model);

    assertArrayEquals(model, store.readVerified(sha));
  }

  @Test
  void refusesEmptyModels() throws Exception {
    ModelStore store = new ModelStore(dir);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.put(new byte[0]));

    assertEquals("model bytes must not be empty, but were 0 bytes", e.getMessage());
  }
}
