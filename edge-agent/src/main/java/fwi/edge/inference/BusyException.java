package fwi.edge.inference;

/** Too many inputs already wait for the model; the input was dropped and counted. Retriable. */
public final class BusyException extends Exception {
  public BusyException(int waiting) {
    super("inference is busy: " + waiting + " inputs already wait for the model; retry later");
  }
}
