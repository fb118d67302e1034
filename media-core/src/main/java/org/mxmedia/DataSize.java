package org.mxmedia;

/**
 * An amount of data in bytes, never negative.
 *
 * @param bytes the size in bytes, {@code >= 0}
 */
public record DataSize(long bytes) implements Comparable<DataSize> {

  public DataSize {
    if (bytes < 0) {
      throw new IllegalArgumentException("a data size cannot be negative: " + bytes);
    }
  }

  public static DataSize bytes(long bytes) {
    return new DataSize(bytes);
  }

  public static DataSize kibibytes(long kibibytes) {
    return new DataSize(Math.multiplyExact(kibibytes, 1024L));
  }

  public static DataSize mebibytes(long mebibytes) {
    return new DataSize(Math.multiplyExact(mebibytes, 1024L * 1024L));
  }

  public static DataSize gibibytes(long gibibytes) {
    return new DataSize(Math.multiplyExact(gibibytes, 1024L * 1024L * 1024L));
  }

  @Override
  public int compareTo(DataSize other) {
    return Long.compare(bytes, other.bytes);
  }

  @Override
  public String toString() {
    if (bytes >= 1024L * 1024L && bytes % (1024L * 1024L) == 0) {
      return bytes / (1024L * 1024L) + " MiB";
    }
    if (bytes >= 1024L && bytes % 1024L == 0) {
      return bytes / 1024L + " KiB";
    }
    return bytes + " B";
  }
}
