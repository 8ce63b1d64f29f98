package fwi.cloud.fleet;

import fwi.proto.v1.ModelRef;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the cloud knows of one device, as of its latest messages.
 *
 * @param online true after a Birth until a Death of the same or a later session
 * @param sessionSeq the connection counter of the latest Birth or Death
 * @param lastSeenUnixMs when the bridge last received anything from the device
 * @param runningModel the model its latest Birth or telemetry names
 * @param otaState latest OTA state name, e.g. {@code ACTIVE}; empty before any update
 * @param lastP95Us p95 of its latest telemetry window with inferences, microseconds; 0 if none yet
 * @param skippedSequences per message type ({@code result}, {@code telemetry}, {@code ota/status}):
 *     the {@code Header.sequence} ranges the device announced as skipped by its unclean stops
 *     ({@code Birth.skipped_sequences}), merged, ascending and disjoint. A number missing from a
 *     stream that lies in none of them is a lost message.
 */
public record DeviceView(String deviceId, String profile, String agentVersion, boolean online, long sessionSeq,
    long lastSeenUnixMs, Optional<ModelRef> runningModel, String otaState, long lastP95Us,
    Map<String, List<SequenceRange>> skippedSequences) {

  public DeviceView {
    skippedSequences = Map.copyOf(skippedSequences);
  }

  /**
   * The sequence numbers {@code first..last}, both inclusive.
   *
   * @throws IllegalArgumentException unless {@code 1 <= first <= last}
   */
  public record SequenceRange(long first, long last) {
    public SequenceRange {
      if (first < 1 || last < first) {
        throw new IllegalArgumentException("sequence range must satisfy 1 <= first <= last, but was " + first + ".."
            + last);
      }
    }

    /** Whether {@code sequence} lies in this range. */
    public boolean contains(long sequence) {
      return sequence >= first && sequence <= last;
    }
  }

  /** Whether the device announced {@code sequence} of {@code messageType} as skipped (never sent). */
  public boolean announcedSkip(String messageType, long sequence) {
    return skippedSequences.getOrDefault(messageType, List.of()).stream().anyMatch(r -> r.contains(sequence));
  }
}
