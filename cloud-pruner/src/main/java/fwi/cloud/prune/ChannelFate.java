package fwi.cloud.prune;

/**
 * What an op that rearranges axes does to the channel axis (axis 1) of its data input, as
 * {@link AxisChannels} decides it and the analysis then applies to the channel groups.
 */
sealed interface ChannelFate {
  /** Axis 1 of every output is axis 1 of the input, channel for channel. */
  record Kept() implements ChannelFate {}

  /** Axis 1 of the output is the input's channels {@code copies} times over, end to end (Tile). */
  record Tiled(int copies) implements ChannelFate {}

  /** The channels are moved, mixed, reduced, split or picked and cannot be followed; {@code reason} says how. */
  record Lost(String reason) implements ChannelFate {}
}
