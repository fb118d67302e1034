package org.mxmedia.spi;

import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The address of stored bytes: their SHA-256 as 64 lower-case hex characters. Safe as a file name;
 * storage layouts are derived from it alone.
 *
 * @param sha256 64 lower-case hex characters
 */
public record BlobKey(String sha256) {
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

  public BlobKey {
    if (!HEX64.matcher(sha256).matches()) {
      throw new IllegalArgumentException("a blob key is 64 lower-case hex characters");
    }
  }

  public static BlobKey of(String sha256) {
    return new BlobKey(sha256);
  }

  /** The key of a finished SHA-256 digest (32 bytes). */
  public static BlobKey ofDigest(byte[] digest) {
    if (digest.length != 32) {
      throw new IllegalArgumentException("a SHA-256 digest is 32 bytes, not " + digest.length);
    }
    return new BlobKey(HexFormat.of().formatHex(digest));
  }

  @Override
  public String toString() {
    return sha256;
  }
}
