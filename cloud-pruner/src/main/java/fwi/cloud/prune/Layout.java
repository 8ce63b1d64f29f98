package fwi.cloud.prune;

import java.util.ArrayList;
import java.util.List;

/**
 * How the channel axis (axis 1) of one tensor is made of channel groups: a run of segments, each
 * the whole of one group, possibly repeated per channel (after a Flatten each channel becomes
 * {@code repeat} consecutive features). A Concat along channels concatenates layouts, a Tile along
 * them repeats one; a group may then own several segments, which all lose the same channels.
 */
record Layout(List<Segment> segments) {
  /** {@code length} channels of union-find group {@code group}, each repeated {@code repeat} times. */
  record Segment(int group, int length, int repeat) {}

  Layout {
    segments = List.copyOf(segments);
  }

  static Layout of(int group, int length) {
    return new Layout(List.of(new Segment(group, length, 1)));
  }

  /** Size of the axis this layout describes. */
  long total() {
    long t = 0;
    for (Segment s : segments) {
      t += (long) s.length() * s.repeat();
    }
    return t;
  }

  Layout repeated(int factor) {
    List<Segment> out = new ArrayList<>();
    for (Segment s : segments) {
      out.add(new Segment(s.group(), s.length(), s.repeat() * factor));
    }
    return new Layout(out);
  }

  /** This layout {@code copies} times over, end to end: the channel axis after a Tile along it. */
  Layout tiled(int copies) {
    List<Segment> out = new ArrayList<>();
    for (int i = 0; i < copies; i++) {
      out.addAll(segments);
    }
    return new Layout(out);
  }

  /** True when both layouts have segments of the same lengths and repeats, in the same order. */
  boolean sameStructure(Layout o) {
    if (segments.size() != o.segments.size()) {
      return false;
    }
    for (int i = 0; i < segments.size(); i++) {
      Segment a = segments.get(i);
      Segment b = o.segments.get(i);
      if (a.length() != b.length() || a.repeat() != b.repeat()) {
        return false;
      }
    }
    return true;
  }
}
