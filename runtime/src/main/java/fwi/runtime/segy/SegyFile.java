package fwi.runtime.segy;

import java.util.List;

/**
 * The raw content of a SEG-Y file as {@link SegyReader#readTraces} found it: header fields and
 * every trace in file order, nothing reordered or resampled.
 *
 * @param textualHeader the 3200-byte textual header, decoded from EBCDIC or ASCII
 * @param revision SEG-Y revision, binary header bytes 3501-3502 (major byte, minor byte), e.g. 0x0100 for rev 1
 * @param format sample format, bytes 3225-3226
 * @param sampleIntervalUs sample interval in microseconds (bytes 3217-3218, or trace header bytes 117-118 when zero)
 * @param samplesPerTrace samples per trace, bytes 3221-3222
 * @param extendedTextualHeaders number of 3200-byte extended textual headers skipped
 * @param traces the traces in file order
 */
public record SegyFile(
    String textualHeader, int revision, SegySampleFormat format, double sampleIntervalUs, int samplesPerTrace,
    int extendedTextualHeaders, List<SegyTrace> traces) {
  public SegyFile {
    traces = List.copyOf(traces);
  }
}
