package org.mxmedia;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.mxmedia.internal.FileMediaContent;

/**
 * The bytes of one piece of media, ready to stream. The caller owns it and must close it.
 *
 * <p>Content backed by a local file holds the file open from the moment it is created, so a
 * concurrent deletion of the blob never cuts a download short.
 */
public interface MediaContent extends Closeable {

  /** The number of bytes, {@code >= 0}. */
  long length();

  /** A new stream over all the bytes, from the start. */
  InputStream openStream() throws IOException;

  /**
   * A new stream from byte {@code offset} (0 to {@link #length()}) to the end; file-backed content
   * seeks instead of reading the skipped bytes.
   */
  default InputStream openStream(long offset) throws IOException {
    if (offset < 0 || offset > length()) {
      throw new IllegalArgumentException("offset " + offset + " outside 0.." + length());
    }
    InputStream in = openStream();
    in.skipNBytes(offset);
    return in;
  }

  /** Writes all the bytes to {@code out} (which stays open) and returns how many were written. */
  default long transferTo(OutputStream out) throws IOException {
    try (InputStream in = openStream()) {
      return in.transferTo(out);
    }
  }

  /**
   * The local file holding these bytes, where there is one, for zero-copy sending ({@code
   * sendfile}); the file is not guaranteed to outlive a concurrent deletion, so prefer {@link
   * #openStream()} unless the host falls back to it on failure.
   */
  default Optional<Path> localPath() {
    return Optional.empty();
  }

  /** Releases any open handle. Idempotent. */
  @Override
  default void close() throws IOException {}

  /**
   * Content backed by a local file, opened now.
   *
   * @throws NoSuchFileException if the file does not exist
   */
  static MediaContent ofFile(Path file) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    return new FileMediaContent(file, channel);
  }

  /**
   * Content whose bytes come from {@code streams}, called once per {@link #openStream()}; an
   * exception it throws other than an {@link IOException} is wrapped in one.
   */
  static MediaContent ofStreams(long length, Callable<InputStream> streams) {
    if (length < 0) {
      throw new IllegalArgumentException("length cannot be negative: " + length);
    }
    return new MediaContent() {
      @Override
      public long length() {
        return length;
      }

      @Override
      public InputStream openStream() throws IOException {
        try {
          return streams.call();
        } catch (IOException | RuntimeException e) {
          throw e;
        } catch (Exception e) {
          throw new IOException(e);
        }
      }
    };
  }
}
