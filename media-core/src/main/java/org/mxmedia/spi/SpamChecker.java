package org.mxmedia.spi;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.Optional;
import org.mxmedia.MediaException;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;

/**
 * Looks at each uploaded file once its bytes are staged and before they are stored (Synapse's
 * {@code check_media_file_for_spam}), and, through {@link #acceptsRemote}, at each remote file
 * fetched over federation before it is cached. A rejected upload answers 400 {@code M_FORBIDDEN}
 * and leaves nothing behind: no record, no blob, no staging file.
 *
 * <p>Called on the uploading request's thread, once per upload (plain or pending), after the size
 * limits and before the bytes are committed. An unchecked exception is logged and becomes a 500
 * {@code M_UNKNOWN} (the upload is not kept); a {@link MediaException} it throws is answered as it
 * is.
 */
@FunctionalInterface
public interface SpamChecker {

  /**
   * Decides whether to keep an upload.
   *
   * @return true to store it, false to reject it
   * @throws IOException when {@link Upload#open()} fails (answered 500, nothing kept)
   */
  boolean accepts(Upload upload) throws IOException;

  /**
   * Decides whether to keep a remote server's media fetched over federation, once its bytes are
   * staged and before they are cached (Synapse runs {@code check_media_file_for_spam} on those
   * too). A rejected file answers the requester 404 {@code M_NOT_FOUND}, as Synapse does, and is
   * not kept: no record, no blob; the next request fetches and checks it again. Called on the
   * fetching thread, once per fetch (one per media across concurrent requests and nodes); failures
   * are treated as for {@link #accepts}.
   *
   * <p>The default accepts every remote file, so a checker written for uploads alone (a lambda)
   * keeps its behaviour; override it to check remote media as well.
   *
   * @return true to cache it, false to refuse it
   * @throws IOException when {@link RemoteFile#open()} fails (answered 500, nothing kept)
   */
  default boolean acceptsRemote(RemoteFile file) throws IOException {
    return true;
  }

  /** Accepts everything: the default. */
  static SpamChecker acceptAll() {
    return upload -> true;
  }

  /**
   * An upload awaiting the check.
   *
   * @param uploader who uploads
   * @param contentType the content type it will be stored with (normalised)
   * @param fileName the file name it will be stored with, if any
   * @param size its length in bytes
   * @param bytes reads the staged bytes
   */
  record Upload(
      UserId uploader,
      String contentType,
      Optional<String> fileName,
      long size,
      StagedBytes bytes) {
    public Upload {
      Objects.requireNonNull(uploader, "uploader");
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(fileName, "fileName");
      Objects.requireNonNull(bytes, "bytes");
    }

    /**
     * Opens the staged bytes from the start; the caller closes the stream. May be called more than
     * once.
     */
    public InputStream open() throws IOException {
      return bytes.open();
    }
  }

  /**
   * A remote server's media awaiting the check.
   *
   * @param uri the media's {@code mxc://} URI (its origin is the remote server)
   * @param contentType the content type it will be cached with (normalised)
   * @param fileName the file name the remote gave, if any
   * @param size its length in bytes
   * @param bytes reads the staged bytes
   */
  record RemoteFile(
      MxcUri uri, String contentType, Optional<String> fileName, long size, StagedBytes bytes) {
    public RemoteFile {
      Objects.requireNonNull(uri, "uri");
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(fileName, "fileName");
      Objects.requireNonNull(bytes, "bytes");
    }

    /**
     * Opens the staged bytes from the start; the caller closes the stream. May be called more than
     * once.
     */
    public InputStream open() throws IOException {
      return bytes.open();
    }
  }

  /** A way to read staged bytes. */
  @FunctionalInterface
  interface StagedBytes {
    /** A new stream over every staged byte; the caller closes it. */
    InputStream open() throws IOException;
  }
}
