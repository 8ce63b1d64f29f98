package fwi.cloud.model;

/**
 * Bytes or a graph that are not a usable ONNX model: not protobuf, no graph, or a graph that
 * contradicts itself (a shape that cannot be computed, a missing initializer). The message names
 * the model and, where there is one, the node. Not retriable.
 */
public class InvalidModelException extends Exception {
  public InvalidModelException(String message) {
    super(message);
  }

  public InvalidModelException(String message, Throwable cause) {
    super(message, cause);
  }
}
