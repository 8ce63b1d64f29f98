package fwi.edge.inference;

import fwi.edge.testing.TestModels;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ModelSlotTest {
  private static final FloatTensor INPUT = new FloatTensor(Shape.of(1, 4), new float[] {1, 2, 3, 4});

  static ModelInfo info(String id, long version) {
    return new ModelInfo(id, version, "0".repeat(64));
  }

  static ModelRunner load(String op) throws Exception {
    return ModelRunner.open(TestModels.unary(op, -1, 4), new RunnerOptions(1), op + " model");
  }

  @Test
  void requestsRunThroughoutRepeatedSwapsAndNoneFails() throws Exception {
    try (ModelSlot slot = new ModelSlot(load("Relu"), info("relu", 1))) {
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger runs = new AtomicInteger();
      Map<String, Integer> byVersion = new ConcurrentHashMap<>();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> workers = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        workers.add(pool.submit(() -> {
          while (!stop.get()) {
            ModelSlot.Result r = slot.run(INPUT);
            // Relu keeps the positive input, Neg flips it: the output must fit the version reported.
            float expected = r.model().modelId().equals("relu") ? 1f : -1f;
            assertEquals(expected, r.output().data()[0], r.model().label());
            byVersion.merge(r.model().label(), 1, Integer::sum);
            runs.incrementAndGet();
          }
          return null;
        }));
      }
      for (int i = 0; i < 40; i++) {
        boolean relu = i % 2 == 1;
        slot.swap(load(relu ? "Relu" : "Neg"), info(relu ? "relu" : "neg", i + 2));
        // Let requests reach the new version before the next swap, so every swap overlaps running requests.
        int seen = runs.get();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (runs.get() < seen + 4 && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
      }
      stop.set(true);
      for (Future<?> f : workers) {
        f.get();
      }
      pool.shutdown();
      assertTrue(runs.get() >= 40 * 4, "runs: " + runs.get());
      assertTrue(byVersion.size() > 10, "requests saw only " + byVersion.keySet());
      assertEquals("relu@41", slot.model().label());
    }
  }

  @Test
  void aSwappedOutSessionIsClosedOnceItsLastRequestEnds() throws Exception {
    ModelRunner first = load("Relu");
    ModelSlot slot = new ModelSlot(first, info("relu", 1));
    assertEquals(info("relu", 1), slot.swap(load("Neg"), info("neg", 2)));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> first.run(INPUT));
    assertTrue(e.getMessage().toLowerCase().contains("closed"), e.getMessage());
    assertEquals(-1f, slot.run(INPUT).output().data()[0]);
    slot.close();
    assertEquals("model slot is closed", assertThrows(IllegalStateException.class, () -> slot.run(INPUT)).getMessage());
  }
}
