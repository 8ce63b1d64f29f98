package fwi.cloud.latency;

import java.util.Map;

/**
 * Predicts a model's end-to-end inference latency after structured channel pruning, from the
 * channel counts each weighted layer keeps. Implementations are immutable and thread-safe.
 */
public interface LatencyModel {
  /**
   * Predicted latency of one batch-1 inference, in milliseconds.
   *
   * @param channelsPerLayer layer name to {@code {cin, cout}}; layers not named keep their full width
   * @throws IllegalArgumentException for a layer the model does not know, an entry that is not two
   *     counts, or counts the layer cannot take
   */
  double predictMs(Map<String, int[]> channelsPerLayer);
}
