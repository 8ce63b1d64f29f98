package fwi.edge.inference;

/** No model is loaded yet (a fresh device waiting for its first over-the-air update). Retriable later. */
public final class NoModelException extends Exception {
  public NoModelException() {
    super("no model is loaded yet; the agent waits for a model over the air or in its model directory");
  }
}
