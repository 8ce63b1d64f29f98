package fwi.edge.ota;

import fwi.edge.inference.ModelInfo;
import fwi.edge.inference.ModelSlot;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.ort.TensorSpec;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** The agent's host as the wiring will build it: a {@link ModelSlot} swapped by the OTA client. */
final class SlotHost implements ModelHost, AutoCloseable {
  private volatile Optional<ModelSlot> slot = Optional.empty();
  final List<ModelInfo> activations = new CopyOnWriteArrayList<>();

  /** Serves the store's active model, as the agent does at start. */
  static SlotHost serving(ModelStore store) throws Exception {
    SlotHost h = new SlotHost();
    Optional<Path> file = store.activeFile();
    if (file.isPresent()) {
      h.slot = Optional.of(new ModelSlot(ModelRunner.open(file.get(), new RunnerOptions(1)), store.active().orElseThrow()));
    }
    return h;
  }

  @Override
  public Optional<ModelInfo> active() {
    return slot.map(ModelSlot::model);
  }

  @Override
  public Optional<TensorSpec> activeInput() {
    return slot.map(s -> s.withRunner((r, m) -> r.input()));
  }

  @Override
  public Optional<TensorSpec> activeOutput() {
    return slot.map(s -> s.withRunner((r, m) -> r.output()));
  }

  @Override
  public synchronized void activate(ModelRunner runner, ModelInfo model) {
    if (slot.isPresent()) {
      slot.get().swap(runner, model);
    } else {
      slot = Optional.of(new ModelSlot(runner, model));
    }
    activations.add(model);
  }

  /** The first output value of the served model on input [[0, 0, 0, 0]] (x + c models give c). */
  float firstOutputOnZeros() throws Exception {
    return slot.orElseThrow().run(FloatTensor.zeros(Shape.of(1, 4))).output().data()[0];
  }

  @Override
  public void close() {
    slot.ifPresent(ModelSlot::close);
  }
}
