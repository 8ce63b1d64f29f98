package fwi.runtime.ort;

/** ONNX Runtime failed while running a model on valid input. The message carries its reason. */
public final class InferenceException extends Exception {
  public InferenceException(String message, Throwable cause) {
    super(message, cause);
  }
}
