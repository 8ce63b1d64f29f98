package fwi.edge.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SequenceStoreTest {
  @TempDir
  Path dir;

  @Test
  void firstSequenceEverIsOneAndEachTypeCountsOnItsOwn() throws IOException {
    try (SequenceStore store = SequenceStore.open(dir, 10)) {
      assertEquals(1, store.next("telemetry"));
      assertEquals(2, store.next("telemetry"));
      assertEquals(1, store.next("result"));
      assertEquals(3, store.next("telemetry"));
      assertEquals(1, store.next("death"));
    }
  }

  @Test
  void plannedRestartContinuesWithoutGap() throws IOException {
    try (SequenceStore store = SequenceStore.open(dir, 10)) {
      for (int i = 0; i < 25; i++) {
        store.next("telemetry");
      }
    }
    try (SequenceStore store = SequenceStore.open(dir, 10)) {
      assertEquals(26, store.next("telemetry"));
      assertEquals(1, store.next("result"));
    }
  }

  @Test
  void restartAfterCrashSkipsTheRestOfTheReservedBlockButNeverReusesANumber() throws IOException {
    SequenceStore crashed = SequenceStore.open(dir, 10);
    for (int i = 0; i < 13; i++) {
      crashed.next("result"); // 1..13: blocks [1, 11) and [11, 21) reserved
    }
    // no close(): the process died

    try (SequenceStore store = SequenceStore.open(dir, 10)) {
      assertEquals(21, store.next("result"));
    }
  }

  @Test
  void peekWithoutCommitUsesUpNoNumber() throws IOException {
    try (SequenceStore store = SequenceStore.open(dir, 10)) {
      assertEquals(1, store.peek("ota/get"));
      assertEquals(1, store.peek("ota/get"));
      store.commit("ota/get", 1);
      assertEquals(2, store.peek("ota/get"));
      assertThrows(IllegalStateException.class, () -> store.commit("ota/get", 5));
    }
  }

  @Test
  void sessionCounterIsStoredOnEveryIncrement() throws IOException {
    SequenceStore crashed = SequenceStore.open(dir, 10);
    assertEquals(1, crashed.nextSession());
    assertEquals(2, crashed.nextSession());

    try (SequenceStore store = SequenceStore.open(dir, 10)) {
      assertEquals(2, store.session());
      assertEquals(3, store.nextSession());
    }
  }

  @Test
  void unreadableCounterRefusesToOpenNamingKeyAndValue() throws IOException {
    Files.writeString(dir.resolve(SequenceStore.FILE_NAME), "format=1\nsession=2\nnext.telemetry=abc\n");

    IOException e = assertThrows(IOException.class, () -> SequenceStore.open(dir, 10));

    assertEquals(dir.resolve(SequenceStore.FILE_NAME) + ": next.telemetry must be a non-negative integer, but was 'abc'",
        e.getMessage());
  }
}
