package fwi.cloud.registry;

/**
 * The registry holds no model under the profile and version (or SHA-256) asked for. Not
 * retriable; a REST layer answers 404. The message names what was asked for.
 */
public final class UnknownModelException extends RuntimeException {
  public UnknownModelException(String message) {
    super(message);
  }
}
