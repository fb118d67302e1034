package org.mxmedia.store.jdbc;

import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Stream;
import org.mxmedia.MediaId;
import org.mxmedia.ServerName;
import org.mxmedia.ThumbnailSpec.ThumbnailMethod;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.MediaStore.PendingMedia;
import org.mxmedia.spi.MediaStore.RemoteMedia;
import org.mxmedia.spi.MediaStore.ThumbnailRecord;
import org.mxmedia.store.jdbc.Jdbc.Row;

/**
 * How each record type maps to its columns, both ways: the mappers read rows selected with the
 * column lists of {@link Sql} ({@link Sql#LOCAL_COLUMNS} and the like), and the parameter lists are
 * in the same order, for {@link Jdbc}. Instants are epoch milliseconds; a missing upload name is
 * {@code NULL}.
 */
final class Rows {
  private Rows() {}

  /** The first column, as a number. */
  static final Row<Long> LONG = r -> r.getLong(1);

  /** The first column, as text. */
  static final Row<String> TEXT = r -> r.getString(1);

  /** The first column, a hash, as a blob key. */
  static final Row<BlobKey> BLOB_KEY = r -> BlobKey.of(r.getString(1));

  /** Whether there is a row at all. */
  static final Row<Boolean> EXISTS = r -> true;

  static final Row<LocalMedia> LOCAL =
      r ->
          new LocalMedia(
              MediaId.of(r.getString(1)),
              r.getString(2),
              Optional.ofNullable(r.getString(3)),
              UserId.of(r.getString(4)),
              r.getLong(5),
              BlobKey.of(r.getString(6)),
              Instant.ofEpochMilli(r.getLong(7)),
              Instant.ofEpochMilli(r.getLong(8)),
              r.getBoolean(9),
              r.getBoolean(10));

  static final Row<RemoteMedia> REMOTE =
      r ->
          new RemoteMedia(
              ServerName.of(r.getString(1)),
              MediaId.of(r.getString(2)),
              r.getString(3),
              Optional.ofNullable(r.getString(4)),
              r.getLong(5),
              BlobKey.of(r.getString(6)),
              Instant.ofEpochMilli(r.getLong(7)),
              Instant.ofEpochMilli(r.getLong(8)),
              r.getBoolean(9));

  static final Row<ThumbnailRecord> THUMBNAIL =
      r ->
          new ThumbnailRecord(
              BlobKey.of(r.getString(1)),
              r.getInt(2),
              r.getInt(3),
              ThumbnailMethod.valueOf(r.getString(4)),
              r.getBoolean(5),
              r.getString(6),
              r.getLong(7),
              BlobKey.of(r.getString(8)),
              Instant.ofEpochMilli(r.getLong(9)));

  static final Row<PendingMedia> PENDING =
      r ->
          new PendingMedia(
              MediaId.of(r.getString(1)),
              UserId.of(r.getString(2)),
              Instant.ofEpochMilli(r.getLong(3)),
              Instant.ofEpochMilli(r.getLong(4)));

  /**
   * The columns of {@code m}, with {@code quarantined} for its flag (the record's, or its hash's).
   */
  static Object[] values(LocalMedia m, boolean quarantined) {
    return new Object[] {
      m.mediaId(),
      m.contentType(),
      m.uploadName(),
      m.uploader(),
      m.size(),
      m.blob(),
      m.createdAt(),
      m.lastAccessedAt(),
      quarantined,
      m.safeFromQuarantine()
    };
  }

  /**
   * The columns of {@code m}, with {@code quarantined} for its flag (the record's, or its hash's).
   */
  static Object[] values(RemoteMedia m, boolean quarantined) {
    return new Object[] {
      m.origin(),
      m.mediaId(),
      m.contentType(),
      m.uploadName(),
      m.size(),
      m.blob(),
      m.cachedAt(),
      m.lastAccessedAt(),
      quarantined
    };
  }

  /** The key columns of {@code t}: source, width, height, method, animation. */
  static Object[] key(ThumbnailRecord t) {
    return new Object[] {t.source(), t.width(), t.height(), t.method(), t.animated()};
  }

  /** The {@linkplain #key key} of {@code t}, then its blob. */
  static Object[] keyAndBlob(ThumbnailRecord t) {
    return Stream.concat(Arrays.stream(key(t)), Stream.of(t.blob())).toArray();
  }

  /** The columns of {@code t}: its {@linkplain #key key} first. */
  static Object[] values(ThumbnailRecord t) {
    return Stream.concat(
            Arrays.stream(key(t)), Stream.of(t.contentType(), t.size(), t.blob(), t.createdAt()))
        .toArray();
  }

  static Object[] values(PendingMedia p) {
    return new Object[] {p.mediaId(), p.owner(), p.createdAt(), p.expiresAt()};
  }
}
