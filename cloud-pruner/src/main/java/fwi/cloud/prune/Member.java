package fwi.cloud.prune;

/**
 * One weight axis that must lose the same channels as the rest of its group.
 *
 * @param initializer name of the ONNX initializer
 * @param axis axis of the initializer indexed by the group's channels
 * @param role what the axis does with the channels
 * @param node name of the node using the initializer this way
 */
public record Member(String initializer, int axis, Role role, String node) {
  @Override
  public String toString() {
    return initializer + "[axis " + axis + "] " + role.name().toLowerCase(java.util.Locale.ROOT) + " of " + node;
  }
}
