package fwi.cloud.synth;

import java.util.List;

/**
 * Where shots are fired and recorded, in model cells. Every shot is recorded by all receivers.
 *
 * @param sources source cells, one per shot, in shot order
 * @param receivers receiver cells, in trace order
 */
public record Acquisition(List<GridPoint> sources, List<GridPoint> receivers) {
  public Acquisition {
    sources = List.copyOf(sources);
    receivers = List.copyOf(receivers);
    if (sources.isEmpty() || receivers.isEmpty()) {
      throw new IllegalArgumentException("an acquisition needs at least one source and one receiver, but had "
          + sources.size() + " sources and " + receivers.size() + " receivers");
    }
  }

  /**
   * OpenFWI's layout on a model {@code nx} cells wide: 5 sources spread evenly across the top
   * (columns 0, 17, 34, 52, 69 for 70 cells) and a receiver in every column, all one cell deep.
   */
  public static Acquisition openFwi(int nx) {
    GridPoint[] src = new GridPoint[5];
    for (int s = 0; s < 5; s++) {
      src[s] = new GridPoint(1, (int) Math.round(s * (nx - 1) / 4.0 - 1e-9));
    }
    GridPoint[] rec = new GridPoint[nx];
    for (int x = 0; x < nx; x++) {
      rec[x] = new GridPoint(1, x);
    }
    return new Acquisition(List.of(src), List.of(rec));
  }

  /** The receivers as an array, for the solver. */
  GridPoint[] receiverArray() {
    return receivers.toArray(new GridPoint[0]);
  }
}
