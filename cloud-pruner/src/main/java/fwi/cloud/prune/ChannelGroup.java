package fwi.cloud.prune;

import java.util.List;
import java.util.Optional;

/**
 * A set of channel dimensions that must be pruned together: a layer's output channels, its bias,
 * the BatchNormalization vectors and elementwise ops that follow, crops, and the input channels of
 * every layer that reads them; across Add (residual) connections the channels of both operands.
 *
 * @param id index of the group in {@link ChannelGraph#groups()}
 * @param name the first producing node in graph order (what plans and reports call the layer)
 * @param channels number of channels in the group
 * @param frozenReason why the group must not be pruned (graph input or output, grouped convolution,
 *     a crop or reshape across channels, ...); empty when it may be
 * @param members every weight axis indexed by the group's channels
 */
public record ChannelGroup(int id, String name, int channels, Optional<String> frozenReason, List<Member> members) {
  public ChannelGroup {
    members = List.copyOf(members);
  }

  /** True when channels may be removed: not frozen, more than one channel, and computed by some layer. */
  public boolean prunable() {
    return frozenReason.isEmpty() && channels > 1
        && members.stream().anyMatch(m -> m.role() == Role.PRODUCER || m.role() == Role.DEPTHWISE);
  }

  /** Names of the nodes that produce the group's channels, in graph order. */
  public List<String> producers() {
    return members.stream().filter(m -> m.role() == Role.PRODUCER || m.role() == Role.DEPTHWISE)
        .map(Member::node).distinct().toList();
  }

  @Override
  public String toString() {
    return name + " (" + channels + " channels" + frozenReason.map(r -> ", frozen: " + r).orElse("") + ")";
  }
}
