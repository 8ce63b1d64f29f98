package fwi.edge.inference;

import fwi.edge.testing.TestModels;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class InferenceTest {
  private static ModelRunner load(String op) throws Exception {
    return ModelRunner.open(TestModels.unary(op, -1, 4), new RunnerOptions(1), op);
  }

  private static ModelInfo info(String id, long v) {
    return new ModelInfo(id, v, "ab".repeat(32));
  }

  private static FloatTensor x(float... v) {
    return new FloatTensor(Shape.of(1, v.length), v);
  }

  @Test
  void refusesInferenceUntilAModelIsInstalled() {
    try (Inference inf = new Inference(2, 1 << 20, 16)) {
      assertThrows(NoModelException.class, () -> inf.infer("a", x(1, 2, 3, 4), System.nanoTime(), 0));
      assertEquals(Optional.empty(), inf.model());
    }
  }

  @Test
  void runsOneSampleWithoutItsBatchDimension() throws Exception {
    try (Inference inf = new Inference(2, 1 << 20, 16)) {
      inf.install(load("Neg"), info("neg", 1));
      Inference.Outcome o = inf.infer("one", new FloatTensor(Shape.of(4), new float[] {1, 2, 3, 4}), System.nanoTime(), 7);
      assertEquals(Shape.of(1, 4), o.output().shape());
      assertArrayEquals(new float[] {-1, -2, -3, -4}, o.output().data());
      assertEquals(info("neg", 1), o.model());
      assertTrue(o.endToEndNanos() >= o.inferenceNanos());
      assertEquals(1, inf.totals().completed());
    }
  }

  @Test
  void rejectsAWrongShapeNamingBothShapes() throws Exception {
    try (Inference inf = new Inference(2, 1 << 20, 16)) {
      inf.install(load("Neg"), info("neg", 1));
      InputRejectedException e = assertThrows(InputRejectedException.class,
          () -> inf.infer("f.npy", new FloatTensor(Shape.of(1, 5), new float[5]), System.nanoTime(), 0));
      assertEquals(InputRejectedException.Kind.SHAPE, e.kind());
      assertEquals("input 'f.npy' must have shape [N, 4] (or [4] for one sample), but was [1, 5]", e.getMessage());
      assertEquals(1, inf.totals().inputErrors());
      assertEquals(1, inf.cutWindow().inputErrors());
    }
  }

  @Test
  void rejectsNaNNamingItsPositionAndValue() throws Exception {
    try (Inference inf = new Inference(2, 1 << 20, 16)) {
      inf.install(load("Neg"), info("neg", 1));
      InputRejectedException e = assertThrows(InputRejectedException.class,
          () -> inf.infer("g", new FloatTensor(Shape.of(2, 4), new float[] {0, 0, 0, 0, 0, Float.POSITIVE_INFINITY, 0, 0}),
              System.nanoTime(), 0));
      assertEquals(InputRejectedException.Kind.NON_FINITE, e.kind());
      assertEquals("input 'g' has value Infinity at [1, 1]; every value must be finite", e.getMessage());
    }
  }

  @Test
  void rejectsOversizedInputBeforeRunning() throws Exception {
    try (Inference inf = new Inference(2, 16, 16)) {
      inf.install(load("Neg"), info("neg", 1));
      InputRejectedException e = assertThrows(InputRejectedException.class,
          () -> inf.infer("big", new FloatTensor(Shape.of(2, 4), new float[8]), System.nanoTime(), 0));
      assertEquals(InputRejectedException.Kind.TOO_LARGE, e.kind());
      assertEquals("input 'big' has 32 bytes of float32 data, more than fwi.inference.max-input-bytes = 16",
          e.getMessage());
    }
  }

  @Test
  void aNonFiniteOutputIsAnInferenceErrorAndListenersHearOfIt() throws Exception {
    try (Inference inf = new Inference(2, 1 << 20, 16)) {
      List<String> failures = new ArrayList<>();
      inf.addListener(new Inference.Listener() {
        @Override
        public void onResult(Inference.Outcome o) {
        }

        @Override
        public void onFailure(ModelInfo m, String id, Exception e) {
          failures.add(m.label() + " " + id + " " + e.getMessage());
        }
      });
      inf.install(load("Log"), info("log", 3));
      var e = assertThrows(fwi.runtime.ort.InferenceException.class, () -> inf.infer("neg", x(-1, 1, 1, 1),
          System.nanoTime(), 0));
      assertEquals("model log@3 produced a non-finite output at index 0: NaN", e.getMessage());
      assertEquals(List.of("log@3 neg model log@3 produced a non-finite output at index 0: NaN"), failures);
      assertEquals(1, inf.totals().inferenceErrors());
    }
  }

  @Test
  void aSwapClosesTheTelemetryWindowOfThePreviousModel() throws Exception {
    try (Inference inf = new Inference(2, 1 << 20, 16)) {
      List<WindowReport> closed = new ArrayList<>();
      inf.addListener(new Inference.Listener() {
        @Override
        public void onResult(Inference.Outcome o) {
        }

        @Override
        public void onSwap(Optional<ModelInfo> previous, ModelInfo next, WindowReport w) {
          closed.add(w);
        }
      });
      inf.install(load("Neg"), info("neg", 1));
      for (int i = 0; i < 3; i++) {
        inf.infer("a" + i, x(1, 2, 3, 4), System.nanoTime(), 0);
      }
      inf.install(load("Relu"), info("relu", 2));
      inf.infer("b", x(1, 2, 3, 4), System.nanoTime(), 0);
      assertEquals(2, closed.size());
      assertEquals(Optional.of(info("neg", 1)), closed.get(1).model());
      assertEquals(3, closed.get(1).count());
      WindowReport now = inf.cutWindow();
      assertEquals(Optional.of(info("relu", 2)), now.model());
      assertEquals(1, now.count());
    }
  }

  @Test
  void refusesAnInputWhenTooManyAlreadyWaitAndCountsItAsDropped() throws Exception {
    try (Inference inf = new Inference(0, 1 << 20, 16)) {
      inf.install(load("Log"), info("log", 1));
      java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      // onFailure runs while the failing input still holds the model: it keeps the model busy here
      inf.addListener(new Inference.Listener() {
        @Override
        public void onResult(Inference.Outcome o) {
        }

        @Override
        public void onFailure(ModelInfo m, String id, Exception e) {
          inside.countDown();
          try {
            release.await();
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
          }
        }
      });
      Thread t = new Thread(() -> assertThrows(fwi.runtime.ort.InferenceException.class,
          () -> inf.infer("busy", x(-1, 1, 1, 1), System.nanoTime(), 0)));
      t.start();
      inside.await();
      BusyException e = assertThrows(BusyException.class, () -> inf.infer("late", x(1, 1, 1, 1), System.nanoTime(), 0));
      assertEquals("inference is busy: 0 inputs already wait for the model; retry later", e.getMessage());
      release.countDown();
      t.join();
      assertEquals(1, inf.totals().dropped());
      assertEquals(1, inf.cutWindow().dropped());
      inf.infer("after", x(1, 1, 1, 1), System.nanoTime(), 0);
    }
  }
}
