package fwi.edge.ota;

import fwi.edge.inference.ModelInfo;
import fwi.runtime.ort.ModelRunner;
import java.util.Optional;

/**
 * The part of the agent that serves inferences, as the OTA client sees it (implemented over
 * {@code ModelSlot.swap}). Called on the OTA client's thread; implementations must be thread-safe
 * with respect to the inference threads.
 */
public interface ModelHost {
  /** The model serving now; empty if none. */
  Optional<ModelInfo> active();

  /** The serving model's declared input (for example {@code gathers[N, 5, 1000, 70]}); empty if none. */
  Optional<fwi.runtime.ort.TensorSpec> activeInput();

  /** The serving model's declared output (for example {@code velocity[N, 1, 70, 70]}); empty if none. */
  Optional<fwi.runtime.ort.TensorSpec> activeOutput();

  /**
   * Makes {@code runner} serve {@code model} from now on; the host owns the runner from this call
   * on (also if it throws) and closes the previous one once its requests finish. Called only with
   * a model that passed the smoke test.
   */
  void activate(ModelRunner runner, ModelInfo model);
}
