package fwi.cloud.registry;

/**
 * How a stored file is cut into OTA blocks: block {@code i} covers bytes
 * {@code [i * blockSizeBytes, min((i + 1) * blockSizeBytes, sizeBytes))} (the rule of
 * {@code ManifestBody.block_size_bytes}).
 *
 * @param sha256Hex SHA-256 of the file, 64 lower-case hex digits
 * @param sizeBytes file size, at least 1
 * @param blockSizeBytes size of every block but possibly the last, at least 1
 */
public record BlockLayout(String sha256Hex, long sizeBytes, int blockSizeBytes) {
  public BlockLayout {
    Sha256.checkHex("sha256", sha256Hex);
    if (sizeBytes < 1) {
      throw new IllegalArgumentException("size must be at least 1 byte, but was " + sizeBytes);
    }
    if (blockSizeBytes < 1) {
      throw new IllegalArgumentException("block size must be at least 1 byte, but was " + blockSizeBytes);
    }
    if ((sizeBytes - 1) / blockSizeBytes + 1 > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("block count must fit in 31 bits, but " + sizeBytes + " bytes in blocks of "
          + blockSizeBytes + " make " + ((sizeBytes - 1) / blockSizeBytes + 1));
    }
  }

  /** {@code ceil(sizeBytes / blockSizeBytes)}. */
  public int blockCount() {
    return (int) ((sizeBytes - 1) / blockSizeBytes + 1);
  }

  /** First byte of block {@code index}. */
  public long offset(int index) {
    return (long) index * blockSizeBytes;
  }

  /** Length of block {@code index} (below {@link #blockCount()}), bytes. */
  public int length(int index) {
    return (int) Math.min(blockSizeBytes, sizeBytes - offset(index));
  }
}
