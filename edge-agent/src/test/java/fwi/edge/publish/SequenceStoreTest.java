package fwi.edge.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
  void restartAfterCrashRecordsExactlyTheReservedNumbersAboveTheDurableHighWaterMark() throws IOException {
    SequenceStore crashed = SequenceStore.open(dir, 10);
    for (int i = 0; i < 13; i++) {
      crashed.next("result"); // 1..13 used, block [11, 21) reserved
    }
    crashed.next("telemetry"); // 1 used, block [1, 11) reserved
    crashed.next("ota/get");
    // no close(): the process died; the outbox holds result 1..12 (13 was not yet appended) and telemetry 1

    try (SequenceStore store = SequenceStore.open(dir, 10, Map.of("result", 12L, "telemetry", 1L))) {
      List<SequenceStore.Skip> expected = List.of(new SequenceStore.Skip("result", 13, 20),
          new SequenceStore.Skip("telemetry", 2, 10));
      assertEquals(expected, store.skippedAtOpen());
      assertEquals(expected, store.skipped());
      assertEquals(21, store.next("result"));
      assertEquals(11, store.next("telemetry"));
      assertEquals(11, store.next("ota/get"), "a type without a high-water mark skips silently");
    }
  }

  @Test
  void highWaterMarkBelowTheReservedBlockSkipsOnlyTheBlock() throws IOException {
    SequenceStore crashed = SequenceStore.open(dir, 10);
    for (int i = 0; i < 10; i++) {
      crashed.next("result"); // 1..10: block [1, 11) used up
    }
    crashed.peek("result"); // block [11, 21) reserved, 11 not used

    try (SequenceStore store = SequenceStore.open(dir, 10, Map.of("result", 3L))) {
      assertEquals(List.of(new SequenceStore.Skip("result", 11, 20)), store.skippedAtOpen(),
          "numbers below the reserved block were all used: the outbox may have forgotten them");
    }
  }

  @Test
  void cleanStopAnnouncesNothing() throws IOException {
    try (SequenceStore store = SequenceStore.open(dir, 10, Map.of("result", 0L))) {
      for (int i = 0; i < 13; i++) {
        store.next("result");
      }
    }

    try (SequenceStore store = SequenceStore.open(dir, 10, Map.of("result", 13L))) {
      assertEquals(List.of(), store.skippedAtOpen());
      assertEquals(List.of(), store.skipped());
      assertEquals(14, store.next("result"));
    }
  }

  @Test
  void skipsAreKeptAcrossLaterRestartsAndOnlyTheMostRecentOnesPerType() throws IOException {
    long used = 0;
    for (int crash = 0; crash < SequenceStore.SKIPS_KEPT + 2; crash++) {
      SequenceStore s = SequenceStore.open(dir, 10, Map.of("result", used));
      used = s.next("result"); // and the process dies
    }
    try (SequenceStore store = SequenceStore.open(dir, 10, Map.of("result", used))) {
      List<SequenceStore.Skip> kept = store.skipped();
      assertEquals(SequenceStore.SKIPS_KEPT, kept.size());
      assertEquals(new SequenceStore.Skip("result", used + 1, used + 9), kept.get(kept.size() - 1));
      assertEquals(List.of(kept.get(kept.size() - 1)), store.skippedAtOpen());
    }
    try (SequenceStore store = SequenceStore.open(dir, 10, Map.of("result", used))) {
      assertEquals(List.of(), store.skippedAtOpen(), "the last stop was clean");
      assertEquals(SequenceStore.SKIPS_KEPT, store.skipped().size(), "earlier skips are still announced");
    }
  }

  @Test
  void formatOneFileIsReadAsCleanlyClosed() throws IOException {
    Files.writeString(dir.resolve(SequenceStore.FILE_NAME), "format=1\nsession=4\nnext.result=21\n");

    try (SequenceStore store = SequenceStore.open(dir, 10, Map.of("result", 5L))) {
      assertEquals(List.of(), store.skippedAtOpen());
      assertEquals(4, store.session());
      assertEquals(21, store.next("result"));
    }
  }

  @Test
  void malformedSkipRangeRefusesToOpenNamingKeyAndValue() throws IOException {
    Files.writeString(dir.resolve(SequenceStore.FILE_NAME), "format=2\nclean=1\nskipped.result=5-3\n");

    IOException e = assertThrows(IOException.class, () -> SequenceStore.open(dir, 10));

    assertEquals(dir.resolve(SequenceStore.FILE_NAME) + ": skipped.result must be ranges 'first-last' with"
        + " 1 <= first <= last, but holds '5-3'", e.getMessage());
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
