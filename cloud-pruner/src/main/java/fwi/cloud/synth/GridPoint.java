package fwi.cloud.synth;

/** A cell of a velocity grid: row {@code z} (depth, 0 at the top) and column {@code x}. */
public record GridPoint(int z, int x) {
  @Override
  public String toString() {
    return "(z " + z + ", x " + x + ")";
  }
}
