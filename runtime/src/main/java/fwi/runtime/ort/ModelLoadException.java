package fwi.runtime.ort;

/**
 * ONNX Runtime refused a model: corrupt bytes, an unsupported operator or opset, or a graph whose
 * inputs and outputs are not one float tensor each. The message says which and why. Not
 * retriable: the same bytes fail again.
 */
public final class ModelLoadException extends Exception {
  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }

  public ModelLoadException(String message) {
    super(message);
  }
}
