package org.mxmedia.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.PrimaryStorage.StagedBlob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a body into a staging file, hashing and counting as it goes, and stops as soon as the
 * body passes its limit. Memory use is one buffer, whatever the body's size.
 */
final class Ingest {
  private static final Logger log = LoggerFactory.getLogger(Ingest.class);
  private static final int BUFFER_SIZE = 64 * 1024;

  /**
   * A limit and the error for passing it, and optionally a budget shared with the uploader's other
   * uploads in progress ({@code shared} counts them; {@code sharedMax} bounds the count).
   */
  record Limit(
      long maxBytes,
      MediaException whenExceeded,
      UploadBudgets.@Nullable Ticket shared,
      long sharedMax,
      MediaException whenSharedExceeded) {
    /** No limit: for bytes the engine made itself (thumbnails). */
    static final Limit NONE =
        new Limit(Long.MAX_VALUE, MediaException.internal("no limit", new IllegalStateException()));

    Limit(long maxBytes, MediaException whenExceeded) {
      this(maxBytes, whenExceeded, null, Long.MAX_VALUE, whenExceeded);
    }
  }

  /**
   * A staged body, not yet committed; the caller closes it (which deletes it unless committed).
   *
   * @param staged the staging file
   * @param key the SHA-256 of the bytes
   * @param size the number of bytes
   */
  record Staged(StagedBlob staged, BlobKey key, long size) implements AutoCloseable {
    @Override
    public void close() {
      try {
        staged.close();
      } catch (IOException e) {
        log.warn("Could not discard a staged blob", e);
      }
    }
  }

  private Ingest() {}

  /**
   * Stages {@code body}. Throws the limit's error when the body passes it (or declares more), 400
   * {@code M_UNKNOWN} when the body ends before its declared length or cannot be read, and 500 when
   * the staging file cannot be written. Nothing is left behind when it throws.
   */
  static Staged stage(
      PrimaryStorage primary, InputStream body, OptionalLong declaredLength, Limit limit) {
    if (declaredLength.isPresent() && declaredLength.getAsLong() > limit.maxBytes()) {
      throw limit.whenExceeded();
    }
    StagedBlob staged;
    try {
      staged = primary.stage();
    } catch (IOException e) {
      log.error("Could not create a staging file in {}", primary.name(), e);
      throw MediaException.internal("Could not store the media", e);
    }
    boolean ok = false;
    try {
      MessageDigest sha256 = newSha256();
      OutputStream out = staged.outputStream();
      byte[] buffer = new byte[BUFFER_SIZE];
      long total = 0;
      while (true) {
        int n;
        try {
          n = body.read(buffer);
        } catch (IOException e) {
          log.debug("Upload body failed after {} bytes", total, e);
          throw new MediaException(ErrorCode.M_UNKNOWN, 400, "The upload was interrupted");
        }
        if (n < 0) {
          break;
        }
        total += n;
        if (total > limit.maxBytes()) {
          throw limit.whenExceeded();
        }
        if (limit.shared() != null && limit.shared().add(n) > limit.sharedMax()) {
          throw limit.whenSharedExceeded();
        }
        sha256.update(buffer, 0, n);
        try {
          out.write(buffer, 0, n);
        } catch (IOException e) {
          log.error("Could not write a staged blob to {}", primary.name(), e);
          throw MediaException.internal("Could not store the media", e);
        }
      }
      if (declaredLength.isPresent() && declaredLength.getAsLong() != total) {
        throw new MediaException(
            ErrorCode.M_UNKNOWN,
            400,
            "The upload ended after " + total + " of " + declaredLength.getAsLong() + " bytes");
      }
      Staged result = new Staged(staged, BlobKey.ofDigest(sha256.digest()), total);
      ok = true;
      return result;
    } finally {
      if (!ok) {
        try {
          staged.close();
        } catch (IOException e) {
          log.warn("Could not discard a staged blob", e);
        }
      }
    }
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
