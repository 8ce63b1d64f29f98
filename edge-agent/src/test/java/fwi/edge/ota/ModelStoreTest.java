package fwi.edge.ota;

import fwi.edge.testing.TestModels;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.edge.inference.ModelInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {
  private static final byte[] A = TestModels.plus(1500, -1, 4);
  private static final byte[] B = TestModels.plus(1600, -1, 4);
  private static final byte[] C = TestModels.plus(1700, -1, 4);
  private static final byte[] D = TestModels.plus(1800, -1, 4);

  @TempDir
  Path tmp;
  private Path dir;
  private ModelStore store;
  private ModelInfo a;

  @BeforeEach
  void bootstrap() throws IOException {
    dir = tmp.resolve("store");
    store = ModelStore.open(dir, 2);
    Path shipped = tmp.resolve("shipped.onnx");
    Files.write(shipped, A);
    a = store.importBootstrap(shipped, "inv-a", 1);
  }

  private static ModelInfo info(byte[] file, String id, long version) {
    return new ModelInfo(id, version, DurableFiles.hex(DurableFiles.sha256(file)));
  }

  /** Installs {@code file} as a completed download would be. */
  private ModelInfo install(byte[] file, String id, long version) throws IOException {
    ModelInfo m = info(file, id, version);
    Path part = store.downloadsDirectory().resolve(m.sha256Hex() + ".part");
    Files.write(part, file);
    assertEquals(store.file(m), store.install(part, m));
    assertFalse(Files.exists(part));
    return m;
  }

  private Set<String> names(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }

  @Test
  void importsTheShippedModelOnceNamedByItsSha256() throws IOException {
    assertEquals(info(A, "inv-a", 1), a);
    assertArrayEquals(A, Files.readAllBytes(store.file(a)));
    assertEquals(Optional.of(store.file(a)), store.activeFile());

    Path other = tmp.resolve("other.onnx");
    Files.write(other, B);
    assertEquals(a, store.importBootstrap(other, "inv-b", 5), "a store with an active model keeps it");
    assertEquals(Set.of(a.sha256Hex() + ".onnx"), names(dir.resolve("models")));
  }

  @Test
  void activatingMakesTheActiveModelThePreviousOneDurably() throws IOException {
    ModelInfo b = install(B, "inv-b", 2);
    assertEquals(Optional.of(a), store.active(), "installing alone does not activate");

    store.activate(b);

    ModelStore reopened = ModelStore.open(dir, 2);
    assertEquals(Optional.of(b), reopened.active());
    assertEquals(List.of(a), reopened.history());
    assertEquals(Optional.of(a), reopened.previous());
  }

  @Test
  void keepsTheActiveAndTheConfiguredNumberOfPreviousFiles() throws IOException {
    store = ModelStore.open(dir, 1);
    ModelInfo b = install(B, "inv-b", 2);
    store.activate(b);
    ModelInfo c = install(C, "inv-c", 3);
    store.activate(c);

    assertEquals(List.of(b), store.history());
    assertEquals(Set.of(c.sha256Hex() + ".onnx", b.sha256Hex() + ".onnx"), names(dir.resolve("models")));
  }

  @Test
  void aCrashBeforeTheStateFileIsRenamedLeavesTheOldModelActive() throws IOException {
    ModelInfo b = install(B, "inv-b", 2);
    // What a power cut leaves mid-write: the new state only in a temp file, and half-written temp files.
    Files.writeString(dir.resolve("store.json.tmp"), "{\"format\":1,\"active\":{\"modelId\":\"inv-b\",\"vers");
    Files.write(dir.resolve("models").resolve(info(C, "c", 1).sha256Hex() + ".onnx.tmp"), new byte[] {1, 2});
    Files.write(dir.resolve("downloads").resolve("abc.progress.tmp"), new byte[] {3});

    ModelStore reopened = ModelStore.open(dir, 2);

    assertEquals(Optional.of(a), reopened.active());
    assertEquals(List.of(), reopened.history());
    assertEquals(Set.of("store.json", "models", "downloads"), names(dir));
    assertEquals(Set.of(a.sha256Hex() + ".onnx", b.sha256Hex() + ".onnx"), names(dir.resolve("models")));
    assertEquals(Set.of(), names(dir.resolve("downloads")));

    ModelInfo d = install(D, "inv-d", 4);
    reopened.activate(d);
    assertEquals(Set.of(a.sha256Hex() + ".onnx", d.sha256Hex() + ".onnx"), names(dir.resolve("models")),
        "the file a crash left unreferenced goes with the next change");
  }

  @Test
  void rollingBackRestoresThePreviousModelAndRemembersTheBadOne() throws IOException {
    ModelInfo b = install(B, "inv-b", 2);
    store.activate(b);

    store.rollBack(a);

    ModelStore reopened = ModelStore.open(dir, 2);
    assertEquals(Optional.of(a), reopened.active());
    assertEquals(List.of(), reopened.history());
    assertTrue(reopened.wasRolledBack(b));
    assertEquals(List.of(b), reopened.rolledBack());
    assertFalse(Files.exists(store.file(b)));

    ModelInfo again = install(B, "inv-b", 2);
    reopened.activate(again);
    assertFalse(reopened.wasRolledBack(b), "activating a model again (a signed rollback) clears its mark");
  }

  @Test
  void discardingACandidateDeletesItsFileAndRemembersIt() throws IOException {
    ModelInfo b = install(B, "inv-b", 2);

    store.discard(b);

    assertEquals(Optional.of(a), store.active());
    assertEquals(List.of(b), store.rolledBack());
    assertFalse(Files.exists(store.file(b)));
  }

  @Test
  void refusesToActivateAModelThatIsNotInstalled() {
    ModelInfo b = info(B, "inv-b", 2);

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.activate(b));

    assertEquals("model inv-b@2 is not installed: " + store.file(b) + " is missing", e.getMessage());
  }

  @Test
  void refusesToRollBackToAModelOutsideTheHistory() throws IOException {
    ModelInfo b = install(B, "inv-b", 2);
    store.activate(b);
    ModelInfo c = install(C, "inv-c", 3);

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.rollBack(c));

    assertEquals("can roll back only to a previous model [inv-a@1], but was inv-c@3", e.getMessage());
  }

  @Test
  void refusesAStateFileOfAnotherFormatNamingTheFile() throws IOException {
    Files.writeString(dir.resolve("store.json"), "{\"format\":2}", StandardCharsets.UTF_8);

    IOException e = assertThrows(IOException.class, () -> ModelStore.open(dir, 2));

    Path f = dir.resolve("store.json");
    assertEquals("model store state " + f + " cannot be read: " + f + ": format must be 1, but was 2", e.getMessage());
  }
}
