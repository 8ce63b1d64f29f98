package fwi.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Makes hostile variants of valid inputs: bit flips, interesting byte values, byte insertions and
 * deletions, truncation, chunks copied over or spliced in from another seed, 2/4/8-byte fields set
 * to boundary values in either byte order (a size field inflated to {@code 0x7fffffff}), a huge
 * protobuf varint inserted, and decimal numbers in text headers replaced by huge, zero or negative
 * ones. Each call stacks one to four of these. Deterministic for a given random source; not
 * thread-safe (the random source is not).
 */
public final class Mutator {
  private static final long[] INTERESTING = {0, 1, -1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffffL,
      0x80000000L, 0xffffffffL, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40};
  private static final String[] NUMBERS = {"0", "-1", "2147483647", "2147483648", "4294967296",
      "99999999999999999999", "1e9", "", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33"};

  private final SplittableRandom random;
  private final List<byte[]> seeds;
  private final int[] hotOffsets;

  /**
   * @param seeds the valid inputs to mutate (at least one); also the material for splices
   * @param hotOffsets byte offsets of known header fields (sizes, counts, intervals), hit by half of
   *     the field mutations; may be empty
   */
  public Mutator(SplittableRandom random, List<byte[]> seeds, int... hotOffsets) {
    if (seeds.isEmpty()) {
      throw new IllegalArgumentException("a mutator needs at least one seed input, but got none");
    }
    this.random = random;
    this.seeds = List.copyOf(seeds);
    this.hotOffsets = hotOffsets.clone();
  }

  /** A mutated copy of a randomly chosen seed. */
  public byte[] next() {
    byte[] b = seeds.get(random.nextInt(seeds.size())).clone();
    int rounds = 1 + random.nextInt(4);
    for (int i = 0; i < rounds; i++) {
      b = mutate(b);
    }
    return b;
  }

  byte[] mutate(byte[] b) {
    int op = random.nextInt(10);
    if (b.length == 0 && op != 3 && op != 8) {
      op = 3;
    }
    switch (op) {
      case 0 -> { // flip one to eight bits
        int flips = 1 + random.nextInt(8);
        for (int i = 0; i < flips; i++) {
          b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return b;
      }
      case 1 -> { // a byte set to a boundary value
        b[random.nextInt(b.length)] = (byte) INTERESTING[random.nextInt(INTERESTING.length)];
        return b;
      }
      case 2 -> { // a field of 2, 4 or 8 bytes set to a boundary value, little- or big-endian
        int width = 1 << (1 + random.nextInt(3));
        if (b.length < width) {
          return b;
        }
        int at = random.nextInt(b.length - width + 1);
        if (hotOffsets.length > 0 && random.nextBoolean()) {
          int hot = hotOffsets[random.nextInt(hotOffsets.length)];
          at = hot + width <= b.length ? hot : at;
        }
        long v = random.nextInt(4) == 0 ? random.nextLong() : INTERESTING[random.nextInt(INTERESTING.length)];
        boolean little = random.nextBoolean();
        for (int i = 0; i < width; i++) {
          int shift = 8 * (little ? i : width - 1 - i);
          b[at + i] = (byte) (v >>> shift);
        }
        return b;
      }
      case 3 -> { // random bytes inserted
        byte[] ins = new byte[1 + random.nextInt(16)];
        for (int i = 0; i < ins.length; i++) {
          ins[i] = (byte) random.nextInt(256);
        }
        return insert(b, random.nextInt(b.length + 1), ins);
      }
      case 4 -> { // a range deleted
        int from = random.nextInt(b.length);
        int len = 1 + random.nextInt(Math.min(b.length - from, 1 + b.length / 8));
        return remove(b, from, len);
      }
      case 5 -> { // truncated
        return Arrays.copyOf(b, random.nextInt(b.length));
      }
      case 6 -> { // a chunk of this or another seed copied over or inserted
        byte[] src = random.nextBoolean() ? b : seeds.get(random.nextInt(seeds.size()));
        if (src.length == 0) {
          return b;
        }
        int from = random.nextInt(src.length);
        int len = 1 + random.nextInt(Math.min(src.length - from, 256));
        byte[] chunk = Arrays.copyOfRange(src, from, from + len);
        int at = random.nextInt(b.length);
        if (random.nextBoolean()) {
          return insert(b, at, chunk);
        }
        System.arraycopy(chunk, 0, b, at, Math.min(chunk.length, b.length - at));
        return b;
      }
      case 7 -> { // a huge protobuf varint (a length or count claiming gigabytes) written over the bytes
        byte[] varint = random.nextBoolean() ? new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07}
            : new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, (byte) 0xff, 0x01};
        int at = random.nextInt(b.length);
        if (random.nextBoolean()) {
          return insert(b, at, varint);
        }
        System.arraycopy(varint, 0, b, at, Math.min(varint.length, b.length - at));
        return b;
      }
      case 8 -> { // the input doubled: a second copy appended
        if (b.length > 1 << 20) {
          return b;
        }
        return insert(b, b.length, b);
      }
      default -> { // a decimal number in text replaced by a hostile one
        return replaceNumber(b);
      }
    }
  }

  private byte[] replaceNumber(byte[] b) {
    int start = -1;
    int probe = random.nextInt(b.length);
    for (int i = 0; i < b.length; i++) {
      int p = (probe + i) % b.length;
      if (b[p] >= '0' && b[p] <= '9') {
        start = p;
        break;
      }
    }
    if (start < 0) {
      return b;
    }
    while (start > 0 && b[start - 1] >= '0' && b[start - 1] <= '9') {
      start--;
    }
    int end = start;
    while (end < b.length && b[end] >= '0' && b[end] <= '9') {
      end++;
    }
    byte[] number = NUMBERS[random.nextInt(NUMBERS.length)].getBytes(StandardCharsets.US_ASCII);
    byte[] out = remove(b, start, end - start);
    return insert(out, start, number);
  }

  static byte[] insert(byte[] b, int at, byte[] ins) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + ins.length);
    out.write(b, 0, at);
    out.write(ins, 0, ins.length);
    out.write(b, at, b.length - at);
    return out.toByteArray();
  }

  static byte[] remove(byte[] b, int from, int len) {
    byte[] out = new byte[b.length - len];
    System.arraycopy(b, 0, out, 0, from);
    System.arraycopy(b, from + len, out, from, b.length - from - len);
    return out;
  }
}
