package fwi.cloud.graph;

import fwi.cloud.model.InvalidModelException;

/**
 * A graph uses an operator (or an operator setting) this project cannot analyse. Names the node
 * and op so the user knows what to change; nothing is written when this is thrown.
 */
public final class UnsupportedOperatorException extends InvalidModelException {
  private final String node;
  private final String op;

  public UnsupportedOperatorException(String node, String op, String detail) {
    super("node '" + node + "' (" + op + "): " + detail);
    this.node = node;
    this.op = op;
  }

  public String node() {
    return node;
  }

  public String op() {
    return op;
  }
}
